/**
 * Real-browser helpers for the widget end-to-end tests: headless Chromium driven by
 * playwright-core, and small polling assertions (playwright-core has no auto-waiting `expect`).
 *
 * Chromium is required: when it is missing the suite fails with an explanation instead of
 * quietly skipping, so a broken CI image cannot pass unnoticed.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type FrameLocator, type Locator, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it or point CHROMIUM_PATH at a Chromium binary. `
      + 'The end-to-end suite needs a real browser and does not skip without one.');
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 20_000 });
}

/** A fresh, isolated browser profile (own localStorage) with a desktop-sized window. */
/**
 * One Chromium per test file, launched before its tests and closed after them. A test that needs
 * it fails (never skips) when it could not start, with the launch error.
 */
export function chromiumForFile(): () => Browser {
  let browser: Browser | undefined;
  let launchError: unknown;
  beforeAll(async () => {
    try {
      browser = await launchChromium();
    } catch (err) {
      launchError = err;
    }
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw launchError ?? new Error('Chromium did not start');
    return browser;
  };
}

export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(5_000);
  return context;
}

/** Page errors and console errors, so a test can require a clean run. */
export function watchProblems(page: Page, ignore: RegExp[] = []): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('response', (res) => {
    const path = new URL(res.url()).pathname;
    // Browsers ask for a favicon on their own; the demo page has none.
    if (res.status() >= 400 && path !== '/favicon.ico') problems.push(`HTTP ${res.status()} ${path}`);
  });
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    // Failed responses are reported above, with their URL.
    if (msg.text().startsWith('Failed to load resource:')) return;
    const text = `${msg.type()}: ${msg.text()}`;
    if (!ignore.some((re) => re.test(text))) problems.push(text);
  });
  return problems;
}

/** The launcher button the loader draws (inside its open shadow root; role queries pierce it). */
export function launcher(page: Page): Locator {
  return page.getByRole('button', { name: /Chat with us/ });
}

export function chatFrameElement(page: Page): Locator {
  return page.locator('iframe[title*="Chat"]');
}

export function chatFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe[title*="Chat"]');
}

export function chatParts(page: Page) {
  const frame = chatFrame(page);
  const log = frame.getByRole('log');
  return {
    frame,
    log,
    textbox: frame.getByRole('textbox', { name: 'Message' }),
    send: frame.getByRole('button', { name: 'Send', exact: true }),
    status: frame.getByRole('status').first(),
    /** The message bubble(s) in the log whose text is exactly `text`; `.locator('xpath=..')` is the whole item. */
    bodies: (text: string) => log.getByText(text, { exact: true }),
  };
}

/** Is `locator`'s element the one keystrokes go to: focused in its own document and every frame above? */
export async function hasTrueFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate((el) => {
    const root = el.getRootNode() as Document | ShadowRoot;
    if (root.activeElement !== el || !el.ownerDocument.hasFocus()) return false;
    // Walk up: the frame element holding this document must be the focused element of its parent.
    let win: Window = el.ownerDocument.defaultView as Window;
    while (win.parent !== win) {
      const holder = win.frameElement;
      if (!holder) return true; // cross-origin parent: cannot look further
      const holderRoot = holder.getRootNode() as Document | ShadowRoot;
      if (holderRoot.activeElement !== holder) return false;
      win = win.parent;
    }
    return true;
  }, undefined, { timeout: 2_000 }).catch(() => false);
}

/** Polls `fn` until it returns a truthy value; fails with `what` after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T> | T, ms = 5_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${ms} ms waiting for: ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
