import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hubSignature, startMetaEmulator, type MetaEmulator } from './index.ts';

const OPTS = {
  appSecret: 'emu-app-secret-0123456789', verifyToken: 'emu-verify', pageId: '104837295012345', pageToken: 'page-token-0123456789',
  phoneNumberId: '106540352242922', whatsappToken: 'wa-token-0123456789', statusDelayMs: 5,
};

/** A stand-in app: records what the emulator posts, with the raw body and headers. */
async function receiver() {
  const got: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      got.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      res.end(req.method === 'GET' ? q.get('hub.challenge') ?? '' : 'EVENT_RECEIVED');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let emu: MetaEmulator;
let app: Awaited<ReturnType<typeof receiver>>;

beforeEach(async () => {
  app = await receiver();
  emu = await startMetaEmulator({ ...OPTS, webhookUrl: app.url });
});
afterEach(async () => {
  await emu.close();
  await app.close();
});

const send = (path: string, token: string, body: unknown) => fetch(`${emu.graphUrl}${path}`, {
  method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
});

describe('Meta emulator', () => {
  it('signs every callback over its exact bytes and sends the verification handshake', async () => {
    const v = await emu.verify();
    expect(v.body).toBe(v.challenge);
    expect(app.got[0]?.url).toContain('hub.mode=subscribe');
    await emu.whatsappText({ from: '14155550100', text: 'hi' });
    const post = app.got[1]!;
    expect(post.headers['x-hub-signature-256']).toBe(hubSignature(OPTS.appSecret, post.body));
    const payload = JSON.parse(post.body) as { object: string; entry: Array<{ changes: Array<{ field: string; value: { metadata: { phone_number_id: string }; messages: Array<{ type: string; text: { body: string } }> } }> }> };
    expect(payload.object).toBe('whatsapp_business_account');
    expect(payload.entry[0]?.changes[0]?.field).toBe('messages');
    expect(payload.entry[0]?.changes[0]?.value.metadata.phone_number_id).toBe(OPTS.phoneNumberId);
    expect(payload.entry[0]?.changes[0]?.value.messages[0]).toMatchObject({ type: 'text', text: { body: 'hi' } });
  });

  it('accepts WhatsApp sends inside the 24-hour window only (131047 outside), templates always, and posts statuses', async () => {
    expect((await send(`/${OPTS.phoneNumberId}/messages`, 'wrong-token', {})).status).toBe(401);
    const outside = await send(`/${OPTS.phoneNumberId}/messages`, OPTS.whatsappToken, { messaging_product: 'whatsapp', to: '14155550100', type: 'text', text: { body: 'x' } });
    expect(outside.status).toBe(400);
    expect(((await outside.json()) as { error: { code: number } }).error.code).toBe(131047);
    const tpl = await send(`/${OPTS.phoneNumberId}/messages`, OPTS.whatsappToken, { messaging_product: 'whatsapp', to: '14155550100', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
    const body = await tpl.json() as { messages: Array<{ id: string }> };
    expect(body.messages[0]?.id).toMatch(/^wamid\./);
    await emu.waitFor(() => app.got.filter((g) => g.body.includes('"statuses"')).length === 3);
    expect(app.got.map((g) => /"status":"(\w+)"/.exec(g.body)?.[1]).filter(Boolean)).toEqual(['sent', 'delivered', 'read']);
  });

  it('serves WhatsApp media only with the bearer token, and Messenger attachments from its CDN', async () => {
    await emu.whatsappMedia({ from: '14155550100', kind: 'image', data: Buffer.from('img'), mimeType: 'image/png' });
    const mediaId = /"image":\{[^}]*"id":"(\d+)"/.exec(app.got[0]!.body)?.[1] as string;
    const info = await fetch(`${emu.graphUrl}/${mediaId}`, { headers: { authorization: `Bearer ${OPTS.whatsappToken}` } });
    const { url, mime_type, file_size } = await info.json() as { url: string; mime_type: string; file_size: number };
    expect([mime_type, file_size]).toEqual(['image/png', 3]);
    expect((await fetch(url)).status).toBe(401);
    expect(await (await fetch(url, { headers: { authorization: `Bearer ${OPTS.whatsappToken}` } })).text()).toBe('img');
    await emu.messengerMessage({ psid: '123456', attachments: [{ type: 'file', data: Buffer.from('pdf'), contentType: 'application/pdf', filename: 'a.pdf' }] });
    const cdn = /"url":"([^"]+)"/.exec(app.got[1]!.body)?.[1] as string;
    expect(await (await fetch(cdn)).text()).toBe('pdf');
  });

  it('injects 500 and 429 with Retry-After, then serves the Send API', async () => {
    emu.failNext({ status: 500, path: 'messenger' });
    emu.failNext({ status: 429, retryAfter: 3, path: 'messenger' });
    const msg = { recipient: { id: '123456' }, messaging_type: 'RESPONSE', message: { text: 'hello' } };
    expect((await send('/me/messages', OPTS.pageToken, msg)).status).toBe(500);
    const limited = await send('/me/messages', OPTS.pageToken, msg);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '3']);
    const ok = await send('/me/messages', OPTS.pageToken, msg);
    expect(await ok.json()).toMatchObject({ recipient_id: '123456' });
    await emu.waitFor(() => app.got.some((g) => g.body.includes('"read"')));
    expect(app.got.some((g) => g.body.includes('"delivery"'))).toBe(true);
  });
});
