/**
 * The website chat widget in a real browser: the loader on the demo page, the chat iframe, its
 * WebSocket session, and the Slack thread on the other side (the Slack emulator).
 *
 * Set E2E_SCREENSHOT to a file path to keep a screenshot of the opened chat.
 */
import { gzipSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Post } from '../emulators/slack/index.ts';
import { firstThread, SLACK, STAFF, startHarness, type Harness } from '../support/harness.ts';
import {
  chatFrameElement, chatParts, hasTrueFocus, chromiumForFile, launcher, newContext, sleep, until, watchProblems,
} from './browser.ts';

const chromium = chromiumForFile();
let h: Harness | undefined;
let context: BrowserContext | undefined;

// One browser for the file. A launch failure fails every browser test (it must not read as a skip).

// A fresh Bedside (and Slack emulator) per test, and a fresh browser profile for browser tests.
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  try {
    await context?.close();
  } finally {
    context = undefined;
    await h?.close();
    h = undefined;
  }
});

function harness(): Harness {
  if (!h) throw new Error('no harness');
  return h;
}

function browserContext(): BrowserContext {
  if (!context) throw new Error('no browser context');
  return context;
}

/** A new tab on the demo practice website. */
async function openDemo(ignore: RegExp[] = []): Promise<{ page: Page; problems: string[] }> {
  const page = await browserContext().newPage();
  const problems = watchProblems(page, ignore);
  const res = await page.goto(`${harness().url}/demo`);
  expect(res?.status()).toBe(200);
  await launcher(page).waitFor({ state: 'visible' });
  return { page, problems };
}

/** Clicks the launcher and waits until the chat is connected and the caret is in its textbox. */
async function openChat(page: Page) {
  const chat = chatParts(page);
  await launcher(page).click();
  await chat.textbox.waitFor({ state: 'visible' });
  await until('the Message textbox to have keyboard focus', () => hasTrueFocus(chat.textbox));
  await until('the chat to be connected', async () => (await chat.status.textContent())?.trim() === '');
  return chat;
}

/** The Slack thread parent Bedside posted, once Bedside has also recorded the thread (staff may answer then). */
async function threadParent(): Promise<Post> {
  const ts = await firstThread(harness());
  const parent = harness().slack.message(SLACK.channelId, ts);
  if (!parent) throw new Error(`no Slack message ${ts}`);
  return parent;
}
const slackPostsWithText = (text: string) =>
  harness().slack.posts(SLACK.channelId).filter((p) => p.text === text || JSON.stringify(p.blocks ?? []).includes(text));

/** Waits until a patient message is stored (shown with its time, no longer "Sending…"). */
async function expectDelivered(chat: ReturnType<typeof chatParts>, text: string): Promise<void> {
  const item = chat.bodies(text).locator('xpath=..');
  await until(`"${text}" to be shown as sent`, async () => {
    if ((await chat.bodies(text).count()) !== 1) return false;
    const all = await item.innerText();
    return !all.includes('Sending') && !all.includes('Not sent');
  });
  const time = item.locator('time');
  expect(await time.count()).toBe(1);
  expect(await time.innerText()).toMatch(/\d{1,2}:\d{2}/);
  expect(Number.isNaN(Date.parse((await time.getAttribute('datetime')) ?? ''))).toBe(false);
  expect(await item.getByText('You', { exact: true }).count()).toBe(1);
}

async function storedStaffReply(threadTs: string, text: string): Promise<void> {
  const { app, inbox } = harness();
  await until(`staff reply "${text}" to be stored`, async () => {
    const conversation = await app.store.findConversationBySlackThread(SLACK.channelId, threadTs);
    if (!conversation) return false;
    const rows = await app.store.listContactMessagesAfter(inbox.orgId, inbox.id, conversation.contactId, 0, 50);
    return rows.some((m) => m.body === text);
  });
}

describe('website chat widget in Chromium', { timeout: 15_000 }, () => {
  beforeEach(async () => {
    const browser = chromium();
    context = await newContext(browser);
  });

  it('opens from the launcher, sends with Enter and Send, and shows the staff reply from Slack', async () => {
    const { page, problems } = await openDemo();
    const button = launcher(page);
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(await chatFrameElement(page).count()).toBe(0); // the chat loads on first open only

    const chat = await openChat(page);
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    // Keystrokes go wherever the focus is: this proves the caret landed in the textbox.
    await page.keyboard.type('Do you have parking?');
    await page.keyboard.press('Enter');
    await expectDelivered(chat, 'Do you have parking?');
    expect(await chat.textbox.inputValue()).toBe('');

    const parent = await threadParent();
    expect(JSON.stringify(parent.blocks)).toContain('Do you have parking?');

    await harness().slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: 'Yes, free parking behind the building' });
    const reply = chat.bodies('Yes, free parking behind the building');
    await reply.waitFor({ state: 'visible' });
    const replyItem = reply.locator('xpath=..');
    expect(await replyItem.getByText(STAFF.displayName, { exact: true }).count()).toBe(1);
    expect(await replyItem.locator('time').innerText()).toMatch(/\d{1,2}:\d{2}/);

    // Second message with the Send button; the caret comes back to the textbox.
    await chat.textbox.fill('And is it free all day?');
    await chat.send.click();
    await expectDelivered(chat, 'And is it free all day?');
    expect(await chat.textbox.inputValue()).toBe('');
    await until('focus back in the textbox after Send', () => hasTrueFocus(chat.textbox));
    const second = await harness().slack.waitFor(() =>
      harness().slack.posts(SLACK.channelId).find((p) => p.thread_ts === parent.ts && p.text === 'And is it free all day?'));
    expect(second.thread_ts).toBe(parent.ts);
    expect(harness().slack.posts(SLACK.channelId).filter((p) => !p.thread_ts)).toHaveLength(1);

    // Patient, staff, patient: in that order, each once.
    const bodies = await chat.log.locator('p').allInnerTexts();
    expect(bodies.filter((b) => b !== harness().inbox.settings.greeting)).toEqual([
      'Do you have parking?', 'Yes, free parking behind the building', 'And is it free all day?',
    ]);

    if (process.env.E2E_SCREENSHOT) await page.screenshot({ path: process.env.E2E_SCREENSHOT });
    expect(problems).toEqual([]);
  });

  it('reconnects after the connection drops without losing or doubling a message either way', async () => {
    const { page, problems } = await openDemo([/WebSocket connection to .* failed/, /ERR_INTERNET_DISCONNECTED/]);
    const chat = await openChat(page);
    await chat.textbox.fill('Hello, I have a question');
    await chat.textbox.press('Enter');
    await expectDelivered(chat, 'Hello, I have a question');
    const parent = await threadParent();

    // Drop the live socket from the server side and keep the browser from reconnecting.
    await browserContext().setOffline(true);
    for (const client of harness().app.http.websocketServer.clients) client.terminate();
    await until('the "Reconnecting…" status', async () => (await chat.status.textContent())?.includes('Reconnecting…'));

    // While disconnected: the patient writes (it waits in the outbox) and staff answer in Slack.
    await chat.textbox.fill('Can I bring my dog?');
    await chat.textbox.press('Enter');
    const pending = chat.bodies('Can I bring my dog?');
    await pending.waitFor({ state: 'visible' });
    expect(await pending.locator('xpath=..').innerText()).toContain('Sending…');
    await harness().slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: 'We will call you back shortly' });
    await storedStaffReply(parent.ts, 'We will call you back shortly');
    await sleep(1_500); // a few reconnect attempts fail meanwhile
    expect(await chat.status.textContent()).toContain('Reconnecting…');
    expect(await chat.bodies('We will call you back shortly').count()).toBe(0);
    expect(slackPostsWithText('Can I bring my dog?')).toHaveLength(0);

    await browserContext().setOffline(false);
    await until('the chat to be connected again', async () => (await chat.status.textContent())?.trim() === '', 8_000);
    await expectDelivered(chat, 'Can I bring my dog?');
    await chat.bodies('We will call you back shortly').waitFor({ state: 'visible' });
    await harness().slack.waitFor(() => slackPostsWithText('Can I bring my dog?').length > 0);

    await sleep(500); // anything doubled would have arrived by now
    expect(slackPostsWithText('Can I bring my dog?')).toHaveLength(1);
    expect(slackPostsWithText('Can I bring my dog?')[0]?.thread_ts).toBe(parent.ts);
    expect(await chat.bodies('We will call you back shortly').count()).toBe(1);
    expect(await chat.bodies('Can I bring my dog?').count()).toBe(1);
    expect(await chat.bodies('Hello, I have a question').count()).toBe(1);
    expect(await chat.frame.getByText('Reconnecting…').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows the earlier conversation once after a page reload', async () => {
    const { page, problems } = await openDemo();
    let chat = await openChat(page);
    await page.keyboard.type('What are your opening hours?');
    await page.keyboard.press('Enter');
    await expectDelivered(chat, 'What are your opening hours?');
    const parent = await threadParent();
    await harness().slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: 'Monday to Friday, 8:00 to 18:00' });
    await chat.bodies('Monday to Friday, 8:00 to 18:00').waitFor({ state: 'visible' });

    await page.reload();
    await launcher(page).waitFor({ state: 'visible' });
    expect(await launcher(page).getAttribute('aria-expanded')).toBe('false');
    chat = await openChat(page);
    await chat.bodies('Monday to Friday, 8:00 to 18:00').waitFor({ state: 'visible' });
    await sleep(300);
    expect(await chat.bodies('What are your opening hours?').count()).toBe(1);
    expect(await chat.bodies('Monday to Friday, 8:00 to 18:00').count()).toBe(1);
    const staffItem = chat.bodies('Monday to Friday, 8:00 to 18:00').locator('xpath=..');
    expect(await staffItem.getByText(STAFF.displayName, { exact: true }).count()).toBe(1);
    await expectDelivered(chat, 'What are your opening hours?');

    // Still the same conversation: a new message goes to the same Slack thread.
    await page.keyboard.type('Thanks!');
    await page.keyboard.press('Enter');
    await harness().slack.waitFor(() => harness().slack.posts(SLACK.channelId).find((p) => p.thread_ts === parent.ts && p.text === 'Thanks!'));
    expect(harness().slack.posts(SLACK.channelId).filter((p) => !p.thread_ts)).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it('keeps a message written while disconnected through a page reload and sends it once', async () => {
    // Stand between the page and the widget socket so the reloaded page cannot connect either.
    let blocked = false;
    await browserContext().routeWebSocket(/\/widget\/ws/, (ws) => {
      if (blocked) ws.close();
      else ws.connectToServer();
    });
    const { page, problems } = await openDemo();
    let chat = await openChat(page);
    await page.keyboard.type('Hello there');
    await page.keyboard.press('Enter');
    await expectDelivered(chat, 'Hello there');
    const parent = await threadParent();

    blocked = true;
    for (const client of harness().app.http.websocketServer.clients) client.terminate();
    await until('the "Reconnecting…" status', async () => (await chat.status.textContent())?.includes('Reconnecting…'));
    await chat.textbox.fill('Please call me back');
    await chat.textbox.press('Enter');
    await chat.bodies('Please call me back').waitFor({ state: 'visible' });
    expect(await chat.bodies('Please call me back').locator('xpath=..').innerText()).toContain('Sending…');

    await page.reload();
    await launcher(page).click();
    chat = chatParts(page);
    await until('the reloaded chat to be reconnecting', async () => (await chat.status.textContent())?.includes('Reconnecting…'));
    await sleep(500);
    expect(slackPostsWithText('Please call me back')).toHaveLength(0);

    blocked = false;
    await until('the chat to be connected again', async () => (await chat.status.textContent())?.trim() === '', 10_000);
    await expectDelivered(chat, 'Please call me back');
    await harness().slack.waitFor(() => slackPostsWithText('Please call me back').length > 0);
    await sleep(500);
    expect(slackPostsWithText('Please call me back')).toHaveLength(1);
    expect(slackPostsWithText('Please call me back')[0]?.thread_ts).toBe(parent.ts);
    expect(await chat.bodies('Please call me back').count()).toBe(1);
    expect(await chat.bodies('Hello there').count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it('works with the keyboard alone: Tab, Enter or Space to open, Enter to send, Escape to close', async () => {
    const { page, problems } = await openDemo();
    const button = launcher(page);
    const chat = chatParts(page);

    await page.keyboard.press('Tab');
    await until('the launcher to have focus after Tab', () => hasTrueFocus(button));
    await page.keyboard.press('Enter');
    await until('focus in the Message textbox', () => hasTrueFocus(chat.textbox));
    await until('the chat to be connected', async () => (await chat.status.textContent())?.trim() === '');
    await page.keyboard.type('Typed without a mouse');
    await page.keyboard.press('Enter');
    await expectDelivered(chat, 'Typed without a mouse');
    const parent = await threadParent();
    expect(JSON.stringify(parent.blocks)).toContain('Typed without a mouse');

    await page.keyboard.press('Escape');
    await until('the chat to close', async () => !(await chatFrameElement(page).isVisible()));
    await until('focus back on the launcher', () => hasTrueFocus(button));
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(await button.getAttribute('aria-label')).toBe('Chat with us');

    // A reply while the chat is closed marks the launcher, in its accessible name too.
    await harness().slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: 'Got it' });
    await until('the launcher to announce the new message',
      async () => (await button.getAttribute('aria-label')) === 'Chat with us (new message)');
    expect(await hasTrueFocus(button)).toBe(true);

    await page.keyboard.press('Space');
    await until('the chat to reopen', () => chatFrameElement(page).isVisible());
    await until('focus in the Message textbox again', () => hasTrueFocus(chat.textbox));
    expect(await button.getAttribute('aria-label')).toBe('Chat with us');
    expect(await chat.bodies('Typed without a mouse').count()).toBe(1);
    expect(await chat.bodies('Got it').count()).toBe(1);
    await page.keyboard.press('Escape');
    await until('focus back on the launcher again', () => hasTrueFocus(button));
    expect(problems).toEqual([]);
  });
});

describe('widget bundles as served', () => {
  it('serves widget bundles within their gzipped size budgets', async () => {
    const budgets = { 'loader.js': 3072, 'chat.js': 25600 };
    for (const [name, budget] of Object.entries(budgets)) {
      const res = await fetch(`${harness().url}/widget/${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.length).toBeGreaterThan(0);
      expect(gzipSync(body, { level: 9 }).length, `${name} gzipped`).toBeLessThanOrEqual(budget);
    }
  });
});
