import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startViberEmulator, viberSignature, type ViberEmulator } from './index.ts';

const TOKEN = 'emu-viber-auth-token-0123456789';

async function receiver() {
  const got: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":0}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/viber`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let emu: ViberEmulator;
let app: Awaited<ReturnType<typeof receiver>>;

beforeEach(async () => {
  app = await receiver();
  emu = await startViberEmulator({ authToken: TOKEN, statusDelayMs: 5 });
});
afterEach(async () => {
  await emu.close();
  await app.close();
});

const call = (method: string, body: unknown, token = TOKEN) => fetch(`${emu.apiUrl}/${method}`, {
  method: 'POST', headers: { 'x-viber-auth-token': token, 'content-type': 'application/json' }, body: JSON.stringify(body),
});

describe('Viber emulator', () => {
  it('checks the webhook on set_webhook, then signs callbacks with bare 64-bit message tokens', async () => {
    const set = await (await call('set_webhook', { url: app.url, event_types: ['delivered'] })).json() as { status: number };
    expect(set.status).toBe(0);
    expect(JSON.parse(app.got[0]!.body)).toMatchObject({ event: 'webhook' });
    await emu.text({ id: 'user-1=', name: 'A' }, 'hello', '4912661846655238145');
    const cb = app.got[1]!;
    expect(cb.headers['x-viber-content-signature']).toBe(viberSignature(TOKEN, cb.body));
    expect(cb.body).toContain('"message_token":4912661846655238145');
    expect(JSON.parse(cb.body)).toMatchObject({ event: 'message', sender: { id: 'user-1=' }, message: { type: 'text', text: 'hello' } });
  });

  it('answers status codes: 2 for a bad token, 6 for an unsubscribed receiver, 0 with a token, then delivered and seen', async () => {
    emu.setWebhookUrl(app.url);
    expect((await (await call('send_message', {}, 'bad')).json() as { status: number }).status).toBe(2);
    const msg = { receiver: 'user-2=', sender: { name: 'Clinic' }, type: 'text', text: 'hi', min_api_version: 1 };
    expect((await (await call('send_message', msg)).json() as { status: number }).status).toBe(6);
    await emu.subscribe({ id: 'user-2=', name: 'B' });
    const ok = await (await call('send_message', msg)).text();
    expect(ok).toMatch(/"status":0,.*"message_token":\d{19}/);
    await emu.waitFor(() => app.got.some((g) => g.body.includes('"seen"')));
    expect(app.got.some((g) => g.body.includes('"delivered"'))).toBe(true);
  });

  it('injects HTTP 500, 429 and Viber status 12', async () => {
    emu.failNext({ httpStatus: 500 });
    emu.failNext({ httpStatus: 429, retryAfter: 2 });
    emu.failNext({ viberStatus: 12 });
    expect((await call('send_message', {})).status).toBe(500);
    const r = await call('send_message', {});
    expect([r.status, r.headers.get('retry-after')]).toEqual([429, '2']);
    expect((await (await call('send_message', {})).json() as { status: number }).status).toBe(12);
  });
});
