/**
 * WebSocket endpoints on the fastify server. An upgrade request is routed through fastify like any
 * other request, so its hooks and the route's preValidation run first (the widget's inbox check,
 * the staff session and origin check) and a refusal is an ordinary 4xx reply with our error body;
 * only then is the connection handed to `ws`.
 *
 * Written here in place of @fastify/websocket, which kept every upgrade's request, reply, raw
 * request and response, and request logger alive for as long as the socket stayed open (its error
 * listener closed over them): 3 of the 7.3 KiB of heap an idle widget connection took, paid at
 * every open page. Here nothing of the handshake outlives it.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every open WebSocket of this server, widget and staff alike; 'connection' fires for each. */
    websocketServer: WebSocketServer;
  }
}

interface PendingUpgrade { socket: Duplex; head: Buffer }
const pendingUpgrade = Symbol('pendingUpgrade');
type UpgradeRequest = IncomingMessage & { [pendingUpgrade]?: PendingUpgrade };

export type WebSocketHandler = (socket: WebSocket, request: FastifyRequest) => void;

/** Takes over the server's upgrade requests. Register once, before any webSocketRoute. */
export function installWebSockets(app: FastifyInstance, options: { maxPayload: number }): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  app.decorate('websocketServer', wss);

  const onUpgrade = (raw: UpgradeRequest, socket: Duplex, head: Buffer) => {
    // Node takes its own error listener off before 'upgrade'; a reset during routing must not throw.
    socket.on('error', destroyOnError);
    raw[pendingUpgrade] = { socket, head };
    // fastify answers through a response object; this one writes to the upgrade's socket, which
    // is how a refusal (404, 401, 403) reaches the client as plain HTTP.
    const response = new ServerResponse(raw);
    response.assignSocket(socket as never);
    app.routing(raw, response);
  };
  app.server.on('upgrade', onUpgrade);

  // A refused upgrade has had its answer: the connection is no HTTP connection any more.
  app.addHook('onResponse', async (request) => {
    (request.raw as UpgradeRequest)[pendingUpgrade]?.socket.destroy();
  });
  app.addHook('preClose', (done) => {
    app.server.removeListener('upgrade', onUpgrade);
    for (const client of wss.clients) client.close(1001, 'server closing');
    // Not waiting for the closing handshakes: a client that never answers would hold the shutdown
    // for ws's 30 s close timeout, after which ws drops it anyway.
    wss.close();
    done();
  });
}

/**
 * GET `path` as a WebSocket endpoint: `handler` gets the socket once preValidation has passed.
 * A plain GET (no upgrade) gets the server's own 404, as for a page that is not there.
 */
export function webSocketRoute(
  app: FastifyInstance, path: string, options: Pick<RouteShorthandOptions, 'preValidation'>, handler: WebSocketHandler,
): void {
  app.get(path, options, async (request, reply) => {
    const pending = (request.raw as UpgradeRequest)[pendingUpgrade];
    if (!pending) {
      reply.callNotFound();
      return reply;
    }
    upgrade(app.websocketServer, request, reply, pending, handler);
    return reply;
  });
}

function upgrade(wss: WebSocketServer, request: FastifyRequest, reply: FastifyReply, pending: PendingUpgrade, handler: WebSocketHandler): void {
  reply.hijack();
  const raw = request.raw as UpgradeRequest;
  // The socket still points at the routing's response, and through it at the request, the reply
  // and their logger: let go of them, or they live as long as the connection does.
  (reply.raw as ServerResponse & { detachSocket(socket: Duplex): void }).detachSocket(pending.socket);
  pending.socket.removeListener('error', destroyOnError);
  // ws answers a malformed handshake itself (400) and closes the connection.
  wss.handleUpgrade(raw, pending.socket, pending.head, (ws) => {
    // Every endpoint's socket gets it here, so handlers need none of their own. Module-level, not
    // a closure here: a closure would keep this request alive with the socket.
    ws.on('error', terminateOnError);
    wss.emit('connection', ws, raw);
    handler(ws, request);
  });
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

function terminateOnError(this: WebSocket): void {
  this.terminate();
}
