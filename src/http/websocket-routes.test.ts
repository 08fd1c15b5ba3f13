import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { errorBody } from '../errors.ts';
import { installErrorHandlers } from './errors.ts';
import { installWebSockets, webSocketRoute } from './websocket-routes.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let app: FastifyInstance;
let base: string;
let opened: WebSocket[] = [];

async function start(setup: (app: FastifyInstance) => void): Promise<void> {
  // A real logger: fastify then makes a child logger for each request, as the server's does.
  app = Fastify({ logger: { level: 'fatal' } });
  installErrorHandlers(app);
  installWebSockets(app, { maxPayload: 1024 });
  setup(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** An echo endpoint that refuses without `?ok`. */
function echoRoute(app: FastifyInstance, onSocket: (ws: WebSocket) => void = () => {}): void {
  webSocketRoute(app, '/ws', {
    preValidation: async (req, reply) => {
      if (!('ok' in (req.query as object))) return reply.code(403).send(errorBody('origin_mismatch', 'Request origin not allowed'));
    },
  }, (socket) => {
    onSocket(socket);
    socket.on('message', (data) => socket.send(`echo ${String(data)}`));
  });
}

function open(path: string): WebSocket {
  const ws = new WebSocket(`ws://${base}${path}`);
  opened.push(ws);
  return ws;
}

/** What a WebSocket client gets: opened, or the HTTP status and body of a refusal. */
function outcome(ws: WebSocket): Promise<{ opened: true } | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ opened: true }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/**
 * Writes `request` on a plain TCP connection, then `afterAnswer` once the server has answered;
 * resolves with everything the server sent, when it closes the connection.
 */
function rawExchange(request: string, afterAnswer?: Buffer): Promise<string> {
  const [host, port] = base.split(':');
  return new Promise((resolve) => {
    const socket = connect(Number(port), host, () => socket.write(request));
    let text = '';
    socket.on('data', (c) => {
      const answered = text.includes('\r\n\r\n');
      text += c.toString('latin1');
      if (afterAnswer && !answered && text.includes('\r\n\r\n')) socket.write(afterAnswer);
    });
    socket.on('close', () => resolve(text));
  });
}

const nextMessage = (ws: WebSocket) => new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

afterEach(async () => {
  for (const ws of opened) ws.terminate();
  opened = [];
  await app?.close();
});

describe('WebSocket routes', () => {
  it('hands the socket to the handler once preValidation passes, and counts it', async () => {
    const connections: unknown[] = [];
    await start((a) => {
      echoRoute(a);
      a.websocketServer.on('connection', (_ws, req: { url?: string }) => connections.push(req.url));
    });
    const ws = open('/ws?ok');
    expect(await outcome(ws)).toEqual({ opened: true });
    ws.send('hi');
    expect(await nextMessage(ws)).toBe('echo hi');
    expect(app.websocketServer.clients.size).toBe(1);
    expect(connections).toEqual(['/ws?ok']);
  });

  it('answers a refused upgrade with the route\'s error and opens no socket', async () => {
    let handled = 0;
    await start((a) => echoRoute(a, () => { handled += 1; }));
    const result = await outcome(open('/ws'));
    expect(result).toMatchObject({ status: 403 });
    expect(JSON.parse((result as { body: string }).body)).toEqual(errorBody('origin_mismatch', 'Request origin not allowed'));
    expect(handled).toBe(0);
    expect(app.websocketServer.clients.size).toBe(0);
  });

  it('answers a plain GET of a WebSocket endpoint with 404', async () => {
    await start((a) => echoRoute(a));
    const res = await fetch(`http://${base}/ws?ok`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(errorBody('not_found', 'Not found'));
  });

  it('answers an upgrade of an ordinary route as that route, then closes the connection', async () => {
    await start((a) => {
      echoRoute(a);
      a.get('/page', async () => ({ page: true }));
    });
    const result = await outcome(open('/page'));
    expect(result).toEqual({ status: 200, body: '{"page":true}' });
    expect(app.websocketServer.clients.size).toBe(0);
  });

  it('lets ws refuse a malformed handshake with 400', async () => {
    let handled = 0;
    await start((a) => echoRoute(a, () => { handled += 1; }));
    // No Sec-WebSocket-Key.
    const answer = await rawExchange('GET /ws?ok HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(handled).toBe(0);
  });

  it('drops a socket whose client breaks the protocol, and keeps serving', async () => {
    let handled = 0;
    await start((a) => echoRoute(a, () => { handled += 1; }));
    const answer = await rawExchange(
      'GET /ws?ok HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
        + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      // Once upgraded: a text frame without the mask every client frame must carry.
      Buffer.from([0x81, 0x02, 0x68, 0x69]),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 101/);
    expect(handled).toBe(1);
    await expect.poll(() => app.websocketServer.clients.size).toBe(0);
    const ws = open('/ws?ok');
    expect(await outcome(ws)).toEqual({ opened: true });
  });

  it('closes a socket that sends a frame over the size limit with 1009', async () => {
    await start((a) => echoRoute(a));
    const ws = open('/ws?ok');
    await outcome(ws);
    const code = closed(ws);
    ws.send('x'.repeat(2048));
    expect(await code).toBe(1009);
  });

  it('keeps nothing of the handshake\'s request and reply while the socket stays open', async () => {
    const handshakes: Array<WeakRef<object>> = [];
    await start((a) => {
      a.addHook('onRequest', async (req, reply) => {
        handshakes.push(new WeakRef(req), new WeakRef(reply), new WeakRef(req.raw), new WeakRef(reply.raw), new WeakRef(req.log));
      });
      echoRoute(a);
    });
    const ws = open('/ws?ok');
    await outcome(ws);
    ws.send('still here');
    expect(await nextMessage(ws)).toBe('echo still here');
    for (let i = 0; i < 10 && handshakes.some((r) => r.deref()); i++) {
      await new Promise((r) => setImmediate(r));
      gc();
    }
    expect(handshakes.flatMap((r) => r.deref()?.constructor.name ?? [])).toEqual([]);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.send('after');
    expect(await nextMessage(ws)).toBe('echo after');
  });

  it('closes open sockets with 1001 when the server closes', async () => {
    await start((a) => echoRoute(a));
    const ws = open('/ws?ok');
    await outcome(ws);
    const code = closed(ws);
    await app.close();
    expect(await code).toBe(1001);
  });
});
