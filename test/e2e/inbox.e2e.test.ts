/**
 * The staff web inbox in a real browser: enrolment from the printed link, sign-in with TOTP, live
 * updates from the widget and from Slack, automatic logoff, keyboard shortcuts and refusals.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/security/totp.ts';
import { firstThread, SLACK, STAFF, startHarness, type Harness, type HarnessOptions } from '../support/harness.ts';
import { enrolStaff, PASSWORD } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';
import { chatParts, hasTrueFocus, chromiumForFile, launcher, newContext, sleep, until } from './browser.ts';
import {
  inboxParts, loginParts, logItem, markDocument, nextCode, onHarness, signInThroughUi, waitForLogText, watchApp, wrongCode,
} from './staff-app.ts';

const chromium = chromiumForFile();
let h: Harness | undefined;
const contexts: BrowserContext[] = [];
const visitors: WidgetClient[] = [];


afterEach(async () => {
  try {
    for (const c of contexts.splice(0)) await c.close();
    for (const v of visitors.splice(0)) await v.close();
  } finally {
    await h?.close();
    h = undefined;
  }
});

/** A fresh Bedside (and Slack emulator) for this test. */
async function harness(options: HarnessOptions = {}): Promise<Harness> {
  h = await startHarness(options);
  return h;
}

/** A new tab in a fresh browser profile. */
async function newPage(): Promise<Page> {
  const browser = chromium();
  const context = await newContext(browser);
  contexts.push(context);
  return context.newPage();
}

/** A scripted website visitor (the real widget protocol) who has written `texts`. */
async function visitorSays(hh: Harness, ...texts: string[]): Promise<WidgetClient> {
  const v = await WidgetClient.connect(hh.wsUrl, hh.inbox.publicKey);
  visitors.push(v);
  await v.hello();
  for (const t of texts) await v.say(t);
  return v;
}

async function conversationOfThread(hh: Harness, threadTs: string): Promise<string> {
  const c = await hh.app.store.findConversationBySlackThread(SLACK.channelId, threadTs);
  if (!c) throw new Error(`no conversation for thread ${threadTs}`);
  return c.id;
}

/**
 * At the limit the page signs out (POST /api/auth/logout); when the server's own idle clock ended
 * the session a moment earlier, that answer is a 401, as are the background refreshes (list,
 * counts, the open conversation, read receipts) that raced it. The outcome is the same.
 */
const SERVER_ENDED_FIRST = /^HTTP 401 \/api\/(auth\/logout|conversations(\/counts|\/[^/]+(\/read)?)?)$/;

const selectedText = (page: Page) => inboxParts(page).assignee.evaluate((el) => (el as HTMLSelectElement).selectedOptions[0]?.textContent ?? '');

describe('staff inbox in Chromium', { timeout: 40_000 }, () => {
  // Fails every test of the file, with the reason, when Chromium is missing.
  beforeEach(() => {
    chromium();
  });

  it('enrols from the printed link: password, authenticator code, recovery codes, then the inbox', async () => {
    const hh = await harness();
    const email = 'dana.whitfield@clinic.test';
    const { enrolmentUrl, account } = await hh.app.auth.createAccount(
      { orgId: hh.inbox.orgId, email, role: 'admin', displayName: 'Dana W.' },
      { type: 'system', id: null, orgId: hh.inbox.orgId, ip: null },
    );
    const printed = new URL(enrolmentUrl);
    expect(printed.pathname).toBe('/enrol');
    expect(printed.hash).toMatch(/^#token=[\w-]{16,}$/);

    const page = await newPage();
    const problems = watchApp(page);
    await page.goto(onHarness(hh, enrolmentUrl));
    await page.getByRole('heading', { level: 1, name: 'Set up your account' }).waitFor();
    // The token is taken from the fragment and removed from the address bar (and so from history).
    expect(new URL(page.url()).hash).toBe('');
    expect(page.url()).not.toContain('token');

    const name = page.getByRole('textbox', { name: 'Display name' });
    expect(await name.inputValue()).toBe('Dana W.');
    await name.fill('Dr. Dana Whitfield');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { level: 1, name: 'Set up two-step verification' }).waitFor();
    expect(await page.getByRole('img', { name: 'QR code for your authenticator app' }).isVisible()).toBe(true);
    const secret = (await page.locator('code.secret').innerText()).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await page.getByRole('textbox', { name: 'Authentication code' }).fill(totpCode(secret));
    await page.getByRole('button', { name: 'Finish setup' }).click();

    await page.getByRole('heading', { level: 1, name: 'Save your recovery codes' }).waitFor();
    const codes = await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allInnerTexts();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await page.getByRole('button', { name: 'I have saved them' }).click();

    await inboxParts(page).heading.waitFor();
    expect(new URL(page.url()).pathname).toBe('/inbox');
    expect(await page.getByRole('button', { name: 'Account: Dr. Dana Whitfield' }).count()).toBe(1);
    const main = page.getByRole('navigation', { name: 'Main' });
    expect(await main.getByRole('link').allInnerTexts()).toEqual(['Inbox', 'Administration']);

    const stored = await hh.app.store.auth.getAccount(hh.inbox.orgId, account.id);
    expect(stored).toMatchObject({ status: 'active', displayName: 'Dr. Dana Whitfield' });
    // The link works once.
    const again = await fetch(`${hh.url}/api/enrol/inspect`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: printed.hash.slice('#token='.length) }),
    });
    expect(again.status).toBe(410);
    expect(problems.all).toEqual([]);
  });

  it('shows a new widget conversation live, and the reply typed in the inbox reaches the widget', async () => {
    const hh = await harness();
    const agent = await enrolStaff(hh, 'agent');
    const staff = await newPage();
    const staffProblems = watchApp(staff);
    await signInThroughUi(staff, hh, agent);
    const inbox = inboxParts(staff);
    await staff.getByRole('status').filter({ hasText: 'No conversations here' }).waitFor();
    const sameDocument = await markDocument(staff);

    // The visitor, in another browser profile, on the practice website.
    const site = await newPage();
    const siteProblems = watchApp(site);
    await site.goto(`${hh.url}/demo`);
    const chat = chatParts(site);
    await launcher(site).click();
    await until('the caret in the chat textbox', () => hasTrueFocus(chat.textbox));
    await until('the chat to be connected', async () => (await chat.status.textContent())?.trim() === '');
    await site.keyboard.type('Can I book a flu shot for Friday?');
    await site.keyboard.press('Enter');
    const t0 = Date.now();

    await inbox.rows.first().waitFor({ timeout: 3_000 });
    const appearedMs = Date.now() - t0;
    expect(await inbox.rows.count()).toBe(1);
    const rowName = (await inbox.rows.first().getAttribute('aria-label')) ?? (await inbox.rows.first().innerText());
    expect(rowName).toContain('Can I book a flu shot for Friday?');
    expect(await sameDocument()).toBe(true);

    await inbox.rows.first().click();
    await waitForLogText(staff, 'Can I book a flu shot for Friday?');
    expect(await inbox.conversationHeading.innerText()).toMatch(/^Visitor \S+$/);
    expect(await inbox.rows.first().getAttribute('aria-current')).toBe('true');

    await inbox.reply.fill('Yes, we have slots from 9:00. Shall I book one?');
    await inbox.send.click();
    await until('the reply to be stored (no longer "Sending…")', async () => {
      const item = logItem(staff, 'Yes, we have slots from 9:00. Shall I book one?');
      return (await item.count()) === 1 && !(await item.innerText()).includes('Sending');
    });
    expect(await inbox.reply.inputValue()).toBe('');
    expect(await logItem(staff, 'Yes, we have slots from 9:00. Shall I book one?').innerText()).toContain('Test agent');

    const bubble = chat.bodies('Yes, we have slots from 9:00. Shall I book one?');
    await bubble.waitFor({ state: 'visible' });
    expect(await bubble.locator('xpath=..').getByText('Test agent', { exact: true }).count()).toBe(1);
    expect(await sameDocument()).toBe(true);
    console.log(`[inbox e2e] new conversation shown in the list ${appearedMs} ms after the visitor pressed Enter`);
    expect(staffProblems.all).toEqual([]);
    expect(siteProblems.all).toEqual([]);
  });

  it('shows a Slack thread reply and Slack Claim/Resolve presses live in the open conversation', async () => {
    const hh = await harness();
    const agent = await enrolStaff(hh, 'agent');
    await visitorSays(hh, 'I need to move my appointment');
    const threadTs = await firstThread(hh);
    const conversationId = await conversationOfThread(hh, threadTs);

    const page = await newPage();
    const problems = watchApp(page);
    await signInThroughUi(page, hh, agent);
    const inbox = inboxParts(page);
    await inbox.rows.first().click();
    await waitForLogText(page, 'I need to move my appointment');
    expect(new URL(page.url()).pathname).toBe(`/inbox/conversations/${conversationId}`);
    expect(await selectedText(page)).toBe('Unassigned');
    const sameDocument = await markDocument(page);

    const t0 = Date.now();
    await hh.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Sure, which day suits you?' });
    await waitForLogText(page, 'Sure, which day suits you?', 2_000);
    const replyMs = Date.now() - t0;
    expect(replyMs).toBeLessThan(2_000);
    expect(await logItem(page, 'Sure, which day suits you?').innerText()).toContain(STAFF.displayName);

    const t1 = Date.now();
    const claim = await hh.slack.sendBlockAction({ user: STAFF.id, actionId: 'bedside_claim', value: conversationId, channel: SLACK.channelId, messageTs: threadTs });
    expect(claim.status).toBe(200);
    await until('the Assignee combobox to show Nurse Ann', async () => (await selectedText(page)) === STAFF.displayName, 2_000);
    const claimMs = Date.now() - t1;
    await until('the list row to say it is assigned to Nurse Ann',
      async () => (await inbox.rows.first().locator('.sr').allTextContents()).includes(`, assigned to ${STAFF.displayName}`), 2_000);

    const resolve = await hh.slack.sendBlockAction({ user: STAFF.id, actionId: 'bedside_resolve', value: conversationId, channel: SLACK.channelId, messageTs: threadTs });
    expect(resolve.status).toBe(200);
    await inbox.reopen.waitFor({ timeout: 2_000 });
    expect(await inbox.rows.first().innerText()).toContain('Resolved');
    expect(await sameDocument()).toBe(true);
    console.log(`[inbox e2e] Slack reply shown after ${replyMs} ms, Slack claim after ${claimMs} ms`);
    expect(problems.all).toEqual([]);
  });

  it('signs out after SESSION_IDLE_SECONDS without activity, and the old session cookie is refused', async () => {
    const hh = await harness({ env: { SESSION_IDLE_SECONDS: '8' } });
    const agent = await enrolStaff(hh, 'agent');
    const page = await newPage();
    const problems = watchApp(page);
    await signInThroughUi(page, hh, agent);
    const signedInAt = Date.now();
    const cookie = (await page.context().cookies(hh.url)).find((c) => c.name === 'bedside_session');
    expect(cookie?.value).toBeTruthy();
    // A background check, so that it does not count as the person being active.
    const session = await fetch(`${hh.url}/api/auth/session`, { headers: { cookie: `bedside_session=${cookie?.value}`, 'x-bedside-background': '1' } });
    expect(session.status).toBe(200);
    expect((await session.json() as { idleTimeoutSeconds: number }).idleTimeoutSeconds).toBe(8);

    // With a limit this short the warning comes half way (not 60 s before, which would be at once).
    const warning = page.getByRole('alertdialog', { name: 'Are you still there?' });
    await warning.waitFor({ timeout: 8_000 });
    const warnedAfter = Date.now() - signedInAt;
    expect(warnedAfter).toBeGreaterThan(2_500);
    expect(await page.getByRole('button', { name: 'Stay signed in' }).count()).toBe(1);

    const login = loginParts(page);
    await login.heading.waitFor({ timeout: 10_000 });
    const signedOutAfter = Date.now() - signedInAt;
    const url = new URL(page.url());
    expect(url.pathname).toBe('/login');
    expect(url.searchParams.get('reason')).toBe('idle');
    expect(await login.notice.innerText()).toMatch(/signed out after .* without activity/);
    expect(signedOutAfter).toBeGreaterThan(7_000);
    expect(signedOutAfter).toBeLessThan(12_000);

    const after = await fetch(`${hh.url}/api/auth/session`, { headers: { cookie: `bedside_session=${cookie?.value}` } });
    expect(after.status).toBe(401);
    console.log(`[inbox e2e] idle warning after ${warnedAfter} ms, signed out after ${signedOutAfter} ms`);
    expect(problems.unexpected(SERVER_ENDED_FIRST)).toEqual([]);
  });

  it('still signs out an unattended screen while patient messages keep arriving in the open conversation', async () => {
    const hh = await harness({ env: { SESSION_IDLE_SECONDS: '8' } });
    const agent = await enrolStaff(hh, 'agent');
    const patientWrites = (body: string) => hh.app.conversations.receivePatientMessage({
      inbox: hh.inbox, identity: { channel: 'web', externalId: 'v_unattended' }, body, clientId: `c-${body.replace(/\W+/g, '-')}`,
    });
    // Enough history that the message log scrolls, as a real conversation's does.
    for (let i = 1; i <= 20; i++) await patientWrites(`Earlier question number ${i}`);
    const page = await newPage();
    const problems = watchApp(page);
    await signInThroughUi(page, hh, agent);
    const signedInAt = Date.now();
    await inboxParts(page).rows.first().click();
    await waitForLogText(page, 'Earlier question number 20');
    expect(await inboxParts(page).log.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    // Nobody touches the page from now on; the pointer rests in a corner, outside the panes.
    await page.mouse.move(1, 1);
    await sleep(300);
    // Requests that tell the server a person is at work (all but the app's own background ones).
    const personRequests: string[] = [];
    page.on('request', (req) => {
      const path = new URL(req.url()).pathname;
      if (path.startsWith('/api/') && req.headers()['x-bedside-background'] !== '1') personRequests.push(`${req.method()} ${path}`);
    });

    const login = loginParts(page);
    for (let i = 1; i <= 14 && new URL(page.url()).pathname !== '/login'; i++) {
      await patientWrites(`Are you there? (${i})`);
      await sleep(1_000);
    }
    await login.heading.waitFor({ timeout: 6_000 });
    const signedOutAfter = Date.now() - signedInAt;
    expect(new URL(page.url()).searchParams.get('reason')).toBe('idle');
    // 8 s of idleness, with room for a loaded CI machine; an active session would never end.
    expect(signedOutAfter).toBeLessThan(16_000);
    // Nothing but the sign-out itself spoke for the person: new messages scrolling the log are not activity.
    expect(personRequests.filter((r) => r !== 'POST /api/auth/logout')).toEqual([]);
    expect(problems.unexpected(SERVER_ENDED_FIRST)).toEqual([]);
  });

  it('keeps a person who is using the page signed in past SESSION_IDLE_SECONDS', async () => {
    const hh = await harness({ env: { SESSION_IDLE_SECONDS: '8' } });
    const agent = await enrolStaff(hh, 'agent');
    await visitorSays(hh, 'Hello, anyone there?');
    const page = await newPage();
    const problems = watchApp(page);
    await signInThroughUi(page, hh, agent);
    const signedInAt = Date.now();
    // The person reads and points around the page for twelve seconds, half again the idle limit.
    for (let i = 0; Date.now() - signedInAt < 12_000; i++) {
      await page.mouse.move(300 + (i % 5) * 40, 300 + (i % 3) * 30, { steps: 3 });
      await sleep(500);
      if (new URL(page.url()).pathname === '/login') break;
    }
    const activeFor = Date.now() - signedInAt;
    expect(new URL(page.url()).pathname, `signed out after ${activeFor} ms of activity: ${page.url()}`).toBe('/inbox');
    expect(await inboxParts(page).heading.isVisible()).toBe(true);
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    const cookie = (await page.context().cookies(hh.url)).find((c) => c.name === 'bedside_session');
    const res = await fetch(`${hh.url}/api/auth/session`, { headers: { cookie: `bedside_session=${cookie?.value}` } });
    expect(res.status).toBe(200);
    expect(problems.all).toEqual([]);
  });

  it('keeps the session when "Stay signed in" is pressed on the idle warning', async () => {
    const hh = await harness({ env: { SESSION_IDLE_SECONDS: '8' } });
    const agent = await enrolStaff(hh, 'agent');
    const page = await newPage();
    const problems = watchApp(page);
    await signInThroughUi(page, hh, agent);
    const signedInAt = Date.now();
    const warning = page.getByRole('alertdialog', { name: 'Are you still there?' });
    await warning.waitFor({ timeout: 8_000 });
    const stay = warning.getByRole('button', { name: 'Stay signed in' });
    expect(await hasTrueFocus(stay)).toBe(true);
    await page.keyboard.press('Enter');
    await warning.waitFor({ state: 'detached', timeout: 2_000 });
    const stayedAt = Date.now();

    // Past the moment the first session would have ended, and short of a second idle period.
    await sleep(Math.max(0, signedInAt + 10_000 - Date.now()));
    expect(new URL(page.url()).pathname, `signed out ${Date.now() - stayedAt} ms after "Stay signed in"`).toBe('/inbox');
    const cookie = (await page.context().cookies(hh.url)).find((c) => c.name === 'bedside_session');
    const res = await fetch(`${hh.url}/api/auth/session`, { headers: { cookie: `bedside_session=${cookie?.value}` } });
    expect(res.status).toBe(200);
    expect(problems.all).toEqual([]);
  });

  it('moves with j and k, resolves with e, and opens and closes the shortcuts help with ? and Escape', async () => {
    const hh = await harness();
    const agent = await enrolStaff(hh, 'agent');
    for (const text of ['First patient question', 'Second patient question', 'Third patient question']) await visitorSays(hh, text);
    const page = await newPage();
    const problems = watchApp(page);
    await signInThroughUi(page, hh, agent);
    const inbox = inboxParts(page);
    await until('three conversations in the list', async () => (await inbox.rows.count()) === 3);
    const ids = await inbox.rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-id') ?? ''));
    const names = await inbox.rows.locator('.name').allInnerTexts();
    // Newest first.
    expect(await inbox.rows.locator('.pv').allInnerTexts()).toEqual(['Third patient question', 'Second patient question', 'First patient question']);

    const openIs = async (i: number) => {
      await until(`conversation ${i + 1} to be open`, async () =>
        new URL(page.url()).pathname === `/inbox/conversations/${ids[i]}`
        && (await inbox.conversationHeading.innerText()) === names[i]
        && (await inbox.rows.nth(i).getAttribute('aria-current')) === 'true');
    };
    await page.keyboard.press('j');
    await openIs(0);
    await page.keyboard.press('j');
    await openIs(1);
    await page.keyboard.press('j');
    await openIs(2);
    await page.keyboard.press('j'); // the last one stays
    await openIs(2);
    await page.keyboard.press('k');
    await openIs(1);
    await waitForLogText(page, 'Second patient question');

    await page.keyboard.press('e');
    await inbox.reopen.waitFor();
    await until('the conversation to be resolved in the store',
      async () => (await hh.app.store.getConversation(hh.inbox.orgId, ids[1] ?? ''))?.status === 'resolved');
    expect(await inbox.rows.nth(1).innerText()).toContain('Resolved');
    expect(await hh.app.store.getConversation(hh.inbox.orgId, ids[0] ?? '')).toMatchObject({ status: 'open' });

    // Letters typed in the reply box are text, not shortcuts.
    await inbox.reply.click();
    await page.keyboard.type('jke');
    expect(await inbox.reply.inputValue()).toBe('jke');
    await openIs(1);
    await page.keyboard.press('Escape'); // leaves the field
    await until('focus to leave the reply box', async () => !(await hasTrueFocus(inbox.reply)));

    await page.keyboard.press('Shift+Slash');
    await inbox.shortcutsDialog.waitFor();
    expect(await inbox.shortcutsDialog.getByRole('button', { name: 'Close' }).count()).toBe(1);
    // Modal: shortcuts do not act behind it.
    await page.keyboard.press('j');
    await sleep(200);
    await openIs(1);
    await page.keyboard.press('Escape');
    await inbox.shortcutsDialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('dialog').count()).toBe(0);
    await page.keyboard.press('k');
    await openIs(0);
    expect(problems.all).toEqual([]);
  });

  it('refuses a wrong password and a wrong code with an alert, and shows an agent no administration', async () => {
    const hh = await harness();
    const agent = await enrolStaff(hh, 'agent');
    const page = await newPage();
    const problems = watchApp(page);
    const login = loginParts(page);
    await page.goto(`${hh.url}/login`);
    await login.heading.waitFor();

    await login.email.fill(agent.email);
    await login.password.fill('not the password at all');
    await login.signIn.click();
    await login.alert.waitFor();
    expect(await login.alert.innerText()).toMatch(/password is not right/i);
    expect(await login.email.getAttribute('aria-invalid')).toBe('true');
    expect(await login.code.count()).toBe(0);

    await login.password.fill(agent.password);
    await login.signIn.click();
    await login.code.waitFor();
    await login.code.fill(wrongCode(agent.totpSecret));
    await login.verify.click();
    await login.alert.waitFor();
    expect(await login.alert.innerText()).toMatch(/code is not right/i);
    expect(await login.code.getAttribute('aria-invalid')).toBe('true');
    expect(new URL(page.url()).pathname).toBe('/login');

    await login.code.fill(nextCode(agent.totpSecret));
    await login.verify.click();
    await inboxParts(page).heading.waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()).toEqual(['Inbox']);

    await page.goto(`${hh.url}/admin`);
    await page.getByRole('heading', { level: 1, name: /have access/ }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Administration' }).count()).toBe(0);
    expect(problems.unexpected(/^HTTP 401 \/api\/auth\/login$/, /^HTTP 401 \/api\/auth\/verify$/)).toEqual([]);
    expect(problems.all.filter((p) => p.startsWith('HTTP 401'))).toEqual(['HTTP 401 /api/auth/login', 'HTTP 401 /api/auth/verify']);
  });
});

