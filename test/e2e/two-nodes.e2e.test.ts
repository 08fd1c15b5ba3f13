/**
 * Two real Bedside processes on PostgreSQL and Redis, a patient in Chromium on node A's demo page,
 * and Slack's events going to node B: the staff reply, received by B, appears live in A's widget.
 */
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SLACK, STAFF } from '../support/harness.ts';
import { rawClient } from '../support/postgres.ts';
import { describePostgres } from '../support/postgres-suite.ts';
import { describeRedis } from '../support/redis.ts';
import { startTwoNodes, type TwoNodes } from '../support/two-nodes.ts';
import { chatParts, chromiumForFile, hasTrueFocus, launcher, newContext, until, watchProblems } from './browser.ts';

const chromium = chromiumForFile();

await describePostgres('two nodes with a patient in Chromium', () => {
  describeRedis('two nodes in a browser', () => {
    let nodes: TwoNodes;
    let context: BrowserContext | undefined;

    beforeAll(async () => {
      nodes = await startTwoNodes();
      context = await newContext(chromium());
    }, 60_000);
    afterAll(async () => {
      await context?.close();
      await nodes?.close();
    });

    it('a Slack reply sent to node B shows live in the widget on node A', async () => {
      const { a, b, slack, db } = nodes;
      if (!context) throw new Error('no browser context');
      const page = await context.newPage();
      const problems = watchProblems(page);
      expect((await page.goto(`${a.url}/demo`))?.status()).toBe(200);
      const chat = chatParts(page);
      await launcher(page).click();
      await chat.textbox.waitFor({ state: 'visible' });
      await until('the Message textbox to have keyboard focus', () => hasTrueFocus(chat.textbox));
      await until('the chat to be connected', async () => (await chat.status.textContent())?.trim() === '');
      await page.keyboard.type('Can I bring my toddler to my appointment?');
      await page.keyboard.press('Enter');

      const parent = await slack.waitFor(() => slack.posts(SLACK.channelId).find((p) => !p.thread_ts), 10_000);
      expect(JSON.stringify(parent.blocks)).toContain('Can I bring my toddler to my appointment?');
      // Slack has the post a moment before Bedside has recorded its thread: wait until it is stored.
      const client = await rawClient(db.name);
      try {
        await until('the Slack thread to be recorded', async () =>
          ((await client.query('select 1 from conversations where slack_thread_ts = $1', [parent.ts])).rowCount ?? 0) > 0, 10_000);
      } finally {
        await client.end();
      }

      const sent = await slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: 'Of course, see you at 10.' });
      expect(sent.status).toBe(200);
      expect(slack.sent.at(-1)?.url.startsWith(b.url)).toBe(true);
      const reply = chat.bodies('Of course, see you at 10.');
      await reply.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await reply.locator('xpath=..').getByText(STAFF.displayName, { exact: true }).count()).toBe(1);
      expect(problems).toEqual([]);
    }, 45_000);
  });
});
