import { describe, expect, it } from 'vitest';
import { configProblems, loadConfig } from './config.ts';

const slackEnv = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'secret-123456', SLACK_CHANNEL_ID: 'C0123ABCD' };

const problems = configProblems;

describe('loadConfig', () => {
  it('boots with no configuration at all: embedded data dir, demo, local URL', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.dataDir).toBe('./data');
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.demo).toBe(true);
    expect(c.slack).toBeUndefined();
  });

  it('selects PostgreSQL with DATABASE_URL, sizes its pool, and refuses a URL that is not postgres:// without echoing it', () => {
    expect(loadConfig({}).databaseUrl).toBeUndefined();
    const c = loadConfig({ DATABASE_URL: 'postgres://bedside_app:pw@db:5432/bedside', DATABASE_POOL_MAX: '25' });
    expect(c).toMatchObject({ databaseUrl: 'postgres://bedside_app:pw@db:5432/bedside', databasePoolMax: 25, databaseMigrationUrl: undefined });
    expect(loadConfig({}).databasePoolMax).toBe(10);
    const p = problems({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(p).toEqual([expect.stringMatching(/^DATABASE_URL: /)]);
    expect(p.join()).not.toContain('hunter2');
    expect(problems({ DATABASE_MIGRATION_URL: 'postgres://owner@db/bedside' })).toEqual([expect.stringMatching(/^DATABASE_URL: required/)]);
  });

  it('lets the heap grow to four times its live size by default, as far as V8 itself goes and no further', () => {
    expect(loadConfig({}).heapGrowthPercent).toBe(300);
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '100' }).heapGrowthPercent).toBe(100);
    expect(problems({ HEAP_GROWTH_PERCENT: '301' })).toEqual([expect.stringMatching(/^HEAP_GROWTH_PERCENT: must be at most 300/)]);
    expect(problems({ HEAP_GROWTH_PERCENT: '-1' })).toEqual([expect.stringMatching(/^HEAP_GROWTH_PERCENT: /)]);
    expect(problems({ HEAP_GROWTH_PERCENT: 'lots' })).toEqual([expect.stringMatching(/^HEAP_GROWTH_PERCENT: /)]);
  });

  it('names the variable of a bad setting, without echoing its value', () => {
    const p = problems({ PORT: 'eighty' });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^PORT: /);
    expect(p.join()).not.toContain('eighty');
    expect(problems({ PUBLIC_URL: 'ftp://x' })[0]).toMatch(/^PUBLIC_URL: /);
    expect(problems({ SLACK_CONTENT: 'everything', ...slackEnv })[0]).toMatch(/^SLACK_CONTENT: /);
  });

  it('does not echo a secret it rejects', () => {
    const p = problems({ ...slackEnv, SLACK_BOT_TOKEN: 'not-a-token-SENSITIVE' });
    expect(p[0]).toMatch(/^SLACK_BOT_TOKEN: /);
    expect(p.join()).not.toContain('SENSITIVE');
  });

  it('requires the Slack variables together and says which is missing', () => {
    const p = problems({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_CHANNEL_ID: 'C0123ABCD' });
    expect(p).toEqual([expect.stringMatching(/^SLACK_SIGNING_SECRET: required when/)]);
  });

  it('reads Slack with notice as the default content mode and normalises the API URL', () => {
    const c = loadConfig({ ...slackEnv, SLACK_API_URL: 'http://127.0.0.1:4010/api', PUBLIC_URL: 'https://clinic.example/' });
    expect(c.slack).toMatchObject({ content: 'notice', apiUrl: 'http://127.0.0.1:4010/api/', channelId: 'C0123ABCD' });
    expect(c.publicUrl).toBe('https://clinic.example');
    expect(loadConfig({ ...slackEnv, SLACK_CONTENT: 'full' }).slack?.content).toBe('full');
  });

  it('reads "Add to Slack" (OAuth) settings, never together with a bot token from the environment', () => {
    const app = { SLACK_CLIENT_ID: '2141029472.691202649728', SLACK_CLIENT_SECRET: 'client-secret-0123456789', SLACK_SIGNING_SECRET: 'secret-123456' };
    const c = loadConfig({ ...app, SLACK_API_URL: 'http://127.0.0.1:4010/api' });
    expect(c.slack).toBeUndefined();
    expect(c.slackApp).toMatchObject({ clientId: app.SLACK_CLIENT_ID, apiUrl: 'http://127.0.0.1:4010/api/', oauthUrl: 'https://slack.com/oauth/v2/authorize', content: 'notice' });
    expect(problems({ SLACK_CLIENT_ID: app.SLACK_CLIENT_ID, SLACK_SIGNING_SECRET: 'secret-123456' }))
      .toEqual([expect.stringMatching(/^SLACK_CLIENT_SECRET: required when/)]);
    const both = problems({ ...app, SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_CHANNEL_ID: 'C0123ABCD' });
    expect(both).toEqual([expect.stringMatching(/^SLACK_BOT_TOKEN: not used with SLACK_CLIENT_ID/), expect.stringMatching(/^SLACK_CHANNEL_ID: not used/)]);
    const bad = problems({ ...app, SLACK_CLIENT_ID: 'SENSITIVE-id' });
    expect(bad[0]).toMatch(/^SLACK_CLIENT_ID: /);
    expect(bad.join()).not.toContain('SENSITIVE');
  });

  it('reads e-mail: address and relay together, the listener and Mailgun only with an address', () => {
    expect(loadConfig({}).email).toBeUndefined();
    const c = loadConfig({ EMAIL_ADDRESS: 'FrontDesk@Example-Clinic.org', SMTP_URL: 'smtp://relay.example-clinic.org:587', SMTP_LISTEN_PORT: '2525' });
    expect(c.email).toMatchObject({ address: 'frontdesk@example-clinic.org', listen: { port: 2525, host: '127.0.0.1' }, maxBytes: 25 * 1024 * 1024, mailgunSigningKey: undefined });
    expect(problems({ EMAIL_ADDRESS: 'frontdesk@example-clinic.org' })).toEqual(['SMTP_URL: required when EMAIL_ADDRESS is set']);
    expect(problems({ SMTP_LISTEN_PORT: '25' })).toEqual(['EMAIL_ADDRESS: required when SMTP_LISTEN_PORT or MAILGUN_SIGNING_KEY is set']);
    expect(problems({ EMAIL_ADDRESS: 'not-an-address', SMTP_URL: 'http://x' }).map((p) => p.split(':')[0]).sort()).toEqual(['EMAIL_ADDRESS', 'SMTP_URL']);
    expect(problems({ EMAIL_ADDRESS: 'a@b.org', SMTP_URL: 'smtp://x', EMAIL_FROM_NAME: 'Clinic\r\nBcc: x@y.org' }).map((p) => p.split(':')[0])).toEqual(['EMAIL_FROM_NAME']);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', SLACK_BOT_TOKEN: '' }).port).toBe(3000);
  });
});
