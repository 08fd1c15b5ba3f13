import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signSlackRequest, startSlackEmulator, type SlackEmulator } from './index.ts';
import { startSlackAppEmulator, type SlackAppEmulator } from './oauth.ts';

const CLIENT = { id: '1111111111.2222222222', secret: 'client-secret-0123456789abcdef' };
const SECRET = 'one-app-signing-secret';
const REDIRECT = 'https://desk.clinic.test/slack/oauth/callback';

let a: SlackEmulator;
let b: SlackEmulator;
let app: SlackAppEmulator;

beforeEach(async () => {
  a = await startSlackEmulator({ botToken: 'xoxb-internal-a', signingSecret: SECRET, teamId: 'T0AAAAAAAA', teamName: 'Alpha', botUserId: 'U0BOTA0001' });
  b = await startSlackEmulator({ botToken: 'xoxb-internal-b', signingSecret: SECRET, teamId: 'T0BBBBBBBB', teamName: 'Beta', botUserId: 'U0BOTB0001' });
  app = await startSlackAppEmulator({ clientId: CLIENT.id, clientSecret: CLIENT.secret, workspaces: [a, b] });
});
afterEach(async () => {
  await app.close();
  await a.close();
  await b.close();
});

const web = (token?: string) => new WebClient(token, { slackApiUrl: app.apiUrl, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });

async function authorize(state = 'st4te'): Promise<URL> {
  const url = new URL(app.authorizeUrl);
  url.search = new URLSearchParams({ client_id: CLIENT.id, scope: 'chat:write', redirect_uri: REDIRECT, state }).toString();
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

describe('Slack app emulator (OAuth v2, several workspaces)', () => {
  it('redirects back with a code and the state, and exchanges the code once for a bot token of the chosen workspace', async () => {
    app.decide = () => ({ teamId: b.teamId });
    const back = await authorize('abc');
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('abc');
    const code = back.searchParams.get('code') ?? '';
    const r = await web().oauth.v2.access({ client_id: CLIENT.id, client_secret: CLIENT.secret, code, redirect_uri: REDIRECT });
    expect(r).toMatchObject({ ok: true, token_type: 'bot', bot_user_id: 'U0BOTB0001', team: { id: 'T0BBBBBBBB', name: 'Beta' }, is_enterprise_install: false });
    expect(r.access_token).toMatch(/^xoxb-/);
    await expect(web().oauth.v2.access({ client_id: CLIENT.id, client_secret: CLIENT.secret, code, redirect_uri: REDIRECT }))
      .rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'invalid_code' } });

    // The token reaches workspace B's own Web API, and only B's.
    const posted = await web(r.access_token).chat.postMessage({ channel: 'C0ANY00001', text: 'hello B' });
    expect(posted.ok).toBe(true);
    expect(b.posts().map((p) => p.text)).toEqual(['hello B']);
    expect(a.posts()).toHaveLength(0);
    await expect(web('xoxb-unknown').auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });

  it('refuses a wrong client secret or redirect, and answers access_denied on Cancel', async () => {
    const code = (await authorize()).searchParams.get('code') ?? '';
    await expect(web().oauth.v2.access({ client_id: CLIENT.id, client_secret: 'wrong-secret', code })).rejects.toMatchObject({ data: { error: 'bad_client_secret' } });
    await expect(web().oauth.v2.access({ client_id: CLIENT.id, client_secret: CLIENT.secret, code, redirect_uri: 'https://evil.test/cb' }))
      .rejects.toMatchObject({ data: { error: 'bad_redirect_uri' } });
    app.decide = () => 'deny';
    const back = await authorize('s2');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('s2');
    expect(back.searchParams.has('code')).toBe(false);
  });

  it('uninstalling kills the token and sends a signed app_uninstalled event from that workspace', async () => {
    const received: Array<{ body: string; headers: http.IncomingHttpHeaders }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => { received.push({ body, headers: req.headers }); res.writeHead(200).end(); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    a.setEventsUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
    try {
      const code = (await authorize()).searchParams.get('code') ?? '';
      const r = await web().oauth.v2.access({ client_id: CLIENT.id, client_secret: CLIENT.secret, code, redirect_uri: REDIRECT });
      await app.uninstall(a.teamId);
      await expect(web(r.access_token).auth.test()).rejects.toMatchObject({ data: { error: 'token_revoked' } });
      const event = JSON.parse(received[0]?.body ?? '{}') as { type: string; team_id: string; event: { type: string } };
      expect(event).toMatchObject({ type: 'event_callback', team_id: 'T0AAAAAAAA', event: { type: 'app_uninstalled' } });
      const ts = String(received[0]?.headers['x-slack-request-timestamp']);
      expect(received[0]?.headers['x-slack-signature']).toBe(signSlackRequest(SECRET, ts, received[0]?.body ?? ''));
    } finally {
      server.close();
    }
  });
});
