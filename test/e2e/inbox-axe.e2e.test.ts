/**
 * axe-core scans (WCAG 2.0/2.1 A and AA rules) of the staff web app in Chromium: sign-in,
 * enrolment, the conversation list, an open conversation, the shortcuts dialog and the Staff admin
 * page. Every scan must find nothing; a failure lists each rule with the nodes that break it.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/security/totp.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { enrolStaff, PASSWORD } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';
import { chromiumForFile, newContext, until } from './browser.ts';
import {
  axeViolations, describeViolations, inboxParts, loginParts, onHarness, signInThroughUi, waitForLogText, watchApp,
} from './staff-app.ts';

const chromium = chromiumForFile();
let h: Harness | undefined;
let context: BrowserContext | undefined;
const visitors: WidgetClient[] = [];


beforeEach(async () => {
  const browser = chromium();
  h = await startHarness();
  context = await newContext(browser);
});
afterEach(async () => {
  try {
    await context?.close();
    for (const v of visitors.splice(0)) await v.close();
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

async function newPage(): Promise<Page> {
  if (!context) throw new Error('no browser context');
  return context.newPage();
}

/** Scans the page as it is now and records the result under `where`. */
async function scan(page: Page, where: string, results: Map<string, string>): Promise<void> {
  results.set(where, describeViolations(where, await axeViolations(page)));
}

function expectClean(results: Map<string, string>): void {
  const report = [...results.values()].join('\n');
  console.log(`[axe] ${report}`);
  expect([...results.values()].filter((r) => !r.endsWith(': no violations')), report).toEqual([]);
}

describe('WCAG 2.1 AA (axe-core) in Chromium', { timeout: 20_000 }, () => {
  it('finds violations planted in the page (the scanner is really running)', async () => {
    const page = await newPage();
    await page.goto(`${harness().url}/login`);
    await loginParts(page).heading.waitFor();
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
      const input = document.createElement('input');
      input.type = 'text';
      document.querySelector('main')?.append(img, input);
    });
    const ids = (await axeViolations(page)).map((v) => v.id);
    expect(ids).toEqual(expect.arrayContaining(['image-alt', 'label']));
  });

  it('sign-in page: password step, a refused password, and the authentication-code step', async () => {
    const agent = await enrolStaff(harness(), 'agent');
    const page = await newPage();
    const problems = watchApp(page);
    const login = loginParts(page);
    const results = new Map<string, string>();
    await page.goto(`${harness().url}/login`);
    await login.heading.waitFor();
    await scan(page, 'sign-in', results);

    await login.email.fill(agent.email);
    await login.password.fill('not the password');
    await login.signIn.click();
    await login.alert.waitFor();
    await scan(page, 'sign-in with an error', results);

    await login.password.fill(agent.password);
    await login.signIn.click();
    await login.code.waitFor();
    await scan(page, 'sign-in, code step', results);
    expectClean(results);
    expect(problems.unexpected(/^HTTP 401 \/api\/auth\/login$/)).toEqual([]);
  });

  it('enrolment: details, two-step verification and recovery codes', async () => {
    const hh = harness();
    const { enrolmentUrl } = await hh.app.auth.createAccount(
      { orgId: hh.inbox.orgId, email: 'new.nurse@clinic.test', role: 'agent', displayName: 'New Nurse' },
      { type: 'system', id: null, orgId: hh.inbox.orgId, ip: null },
    );
    const page = await newPage();
    const problems = watchApp(page);
    const results = new Map<string, string>();
    await page.goto(onHarness(hh, enrolmentUrl));
    await page.getByRole('heading', { level: 1, name: 'Set up your account' }).waitFor();
    await page.getByRole('textbox', { name: 'Display name' }).waitFor();
    await scan(page, 'enrolment, details', results);

    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Set up two-step verification' }).waitFor();
    await scan(page, 'enrolment, two-step verification', results);

    const secret = (await page.locator('code.secret').innerText()).replace(/\s/g, '');
    await page.getByRole('textbox', { name: 'Authentication code' }).fill(totpCode(secret));
    await page.getByRole('button', { name: 'Finish setup' }).click();
    await page.getByRole('heading', { level: 1, name: 'Save your recovery codes' }).waitFor();
    await scan(page, 'enrolment, recovery codes', results);
    expectClean(results);
    expect(problems.all).toEqual([]);
  });

  it('inbox: the conversation list, an open conversation, and the keyboard shortcuts dialog', async () => {
    const hh = harness();
    const agent = await enrolStaff(hh, 'agent');
    for (const text of ['Is the clinic open on Saturday?', 'I would like to renew a prescription']) {
      const v = await WidgetClient.connect(hh.wsUrl, hh.inbox.publicKey);
      visitors.push(v);
      await v.hello();
      await v.say(text);
    }
    const page = await newPage();
    const problems = watchApp(page);
    const results = new Map<string, string>();
    await signInThroughUi(page, hh, agent);
    const inbox = inboxParts(page);
    await until('two conversations in the list', async () => (await inbox.rows.count()) === 2);
    await until('the filter counts', async () => (await page.getByRole('navigation', { name: 'Filters' }).locator('.count').count()) === 4);
    await scan(page, 'inbox list', results);

    await inbox.rows.first().click();
    await waitForLogText(page, 'I would like to renew a prescription');
    await inbox.assignee.locator('option', { hasText: 'Test agent' }).waitFor({ state: 'attached' });
    await scan(page, 'open conversation', results);

    await inbox.shortcutsButton.click();
    await inbox.shortcutsDialog.waitFor();
    await scan(page, 'keyboard shortcuts dialog', results);
    expectClean(results);
    expect(problems.all).toEqual([]);
  });

  it('administration: the Staff page', async () => {
    const hh = harness();
    const admin = await enrolStaff(hh, 'admin');
    const page = await newPage();
    const problems = watchApp(page);
    const results = new Map<string, string>();
    await signInThroughUi(page, hh, admin);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('heading', { level: 1, name: 'Staff' }).waitFor();
    await page.getByRole('table', { name: 'Staff accounts' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Administration' }).getByRole('link').allInnerTexts())
      .toEqual(['Staff', 'Inboxes', 'Slack', 'Canned responses']);
    await scan(page, 'admin Staff page', results);
    expectClean(results);
    expect(problems.all).toEqual([]);
  });
});
