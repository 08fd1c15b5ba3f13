/**
 * Helpers for the staff web app (the inbox SPA) in a real browser: signing in through the pages,
 * finding its main landmarks by role and name, watching for problems, and axe-core scans.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, RunOptions } from 'axe-core';
import type { Locator, Page } from 'playwright-core';
import { totpCode } from '../../src/security/totp.ts';
import type { Harness } from '../support/harness.ts';
import type { Enrolled } from '../support/staff.ts';
import { until, watchProblems } from './browser.ts';

/**
 * Problems of a page (page errors, console errors and warnings, HTTP answers >= 400), with a way to
 * leave out the refusals a test provokes on purpose.
 */
export function watchApp(page: Page): { all: string[]; unexpected: (...expected: RegExp[]) => string[] } {
  const all = watchProblems(page);
  return { all, unexpected: (...expected) => all.filter((p) => !expected.some((re) => re.test(p))) };
}

/** The address the printed enrolment link points at, on the harness's own origin. */
export function onHarness(h: Harness, printed: string): string {
  const u = new URL(printed);
  return `${h.url}${u.pathname}${u.search}${u.hash}`;
}

/** A code from the authenticator for the step after the current one (the current may be used up). */
export const nextCode = (secret: string) => totpCode(secret, Date.now() + 30_000);

/** A six-digit code that the server accepts at no step of its window right now. */
export function wrongCode(secret: string): string {
  const now = Date.now();
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totpCode(secret, now + d * 30_000)));
  for (let n = 123456; ; n = (n + 111_111) % 1_000_000) {
    const c = String(n).padStart(6, '0');
    if (!valid.has(c)) return c;
  }
}

export function loginParts(page: Page) {
  return {
    heading: page.getByRole('heading', { level: 1, name: 'Sign in' }),
    email: page.getByLabel('Email'),
    password: page.getByLabel('Password'),
    signIn: page.getByRole('button', { name: 'Sign in', exact: true }),
    code: page.getByRole('textbox', { name: 'Authentication code' }),
    verify: page.getByRole('button', { name: 'Verify', exact: true }),
    alert: page.getByRole('alert'),
    notice: page.getByRole('status').filter({ hasText: /signed out|session ended/ }),
  };
}

export function inboxParts(page: Page) {
  const list = page.getByRole('list', { name: 'Open conversations' });
  return {
    heading: page.getByRole('heading', { level: 1, name: 'Open conversations' }),
    list,
    rows: list.getByRole('link'),
    /** The open conversation's heading (the contact's name); dialogs have headings of their own. */
    conversationHeading: page.getByRole('main').getByRole('heading', { level: 2 }),
    assignee: page.getByRole('combobox', { name: 'Assignee' }),
    resolve: page.getByRole('button', { name: 'Resolve', exact: true }),
    reopen: page.getByRole('button', { name: 'Reopen', exact: true }),
    log: page.getByRole('log', { name: 'Messages' }),
    reply: page.getByRole('textbox', { name: 'Reply' }),
    send: page.getByRole('button', { name: 'Send', exact: true }),
    shortcutsButton: page.getByRole('button', { name: 'Keyboard shortcuts' }),
    shortcutsDialog: page.getByRole('dialog', { name: 'Keyboard shortcuts' }),
  };
}

/** The message item in the open conversation's log whose body is exactly `text`. */
export function logItem(page: Page, text: string): Locator {
  return inboxParts(page).log.locator('.msg').filter({ has: page.getByText(text, { exact: true }) });
}

/** Signs in through the sign-in page with the password and the next TOTP code; ends in the inbox. */
export async function signInThroughUi(page: Page, h: Harness, who: Pick<Enrolled, 'email' | 'password' | 'totpSecret'>): Promise<void> {
  const login = loginParts(page);
  const res = await page.goto(`${h.url}/login`);
  if (res?.status() !== 200) throw new Error(`GET /login answered ${res?.status()}`);
  await login.heading.waitFor();
  await login.email.fill(who.email);
  await login.password.fill(who.password);
  await login.signIn.click();
  await login.code.waitFor();
  await login.code.fill(nextCode(who.totpSecret));
  await login.verify.click();
  await inboxParts(page).heading.waitFor();
}

/** Marks the document so a later check can tell it was not reloaded (live update, not a fetch by reload). */
export async function markDocument(page: Page): Promise<() => Promise<boolean>> {
  const mark = `m${Math.random().toString(36).slice(2)}`;
  await page.evaluate((m) => { (window as unknown as Record<string, string>).__e2eMark = m; }, mark);
  return () => page.evaluate((m) => (window as unknown as Record<string, string>).__e2eMark === m, mark);
}

/** Waits until the open conversation's log shows `text` (as a message body). */
export async function waitForLogText(page: Page, text: string, ms = 5_000): Promise<void> {
  await until(`"${text}" in the Messages log`, async () => (await logItem(page, text).count()) === 1, ms);
}

// ---- axe-core

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const WCAG_21_AA: RunOptions = {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  resultTypes: ['violations'],
};

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: string[] }

/**
 * Runs axe-core on the page's document. The app's CSP (script-src 'self') would block an injected
 * <script>; `page.evaluate` runs in the page without going through the CSP.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async (options) => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: unknown): Promise<AxeResults> } }).axe;
    return (await axe.run(document, options)).violations.map((v) => ({
      id: v.id, impact: v.impact ?? null, help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ').trim()})` : ''}`),
    }));
  }, WCAG_21_AA);
  return results;
}

/** One line per violated rule, with the offending nodes, for a readable assertion message. */
export function describeViolations(where: string, violations: AxeViolation[]): string {
  if (violations.length === 0) return `${where}: no violations`;
  return [`${where}: ${violations.length} axe violation(s)`, ...violations.map((v) =>
    `  ${v.id} [${v.impact ?? '?'}] ${v.help}\n${v.nodes.map((n) => `    - ${n}`).join('\n')}`)].join('\n');
}
