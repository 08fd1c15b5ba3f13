/**
 * GET /api/ws: live updates for the signed-in inbox. Authenticated by the session cookie before
 * the upgrade, same-origin only (no cross-site WebSocket hijacking). Events arrive as ids on the
 * bus and are loaded here, per recipient, so each person sees their own unread counts.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Conversation } from '../../domain/types.ts';
import type { Bus } from '../../bus/types.ts';
import { topics } from '../../bus/types.ts';
import { errorBody } from '../../errors.ts';
import type { ConversationService } from '../../features/conversations.ts';
import type { OrgEvent } from '../../features/events.ts';
import { PRESENCE_HEARTBEAT_MS, type StaffPresence } from '../../features/presence.ts';
import type { Authenticated, StaffAuth } from '../../features/staff-auth.ts';
import type { Store } from '../../store/types.ts';
import { isCrossOrigin, type SessionGuard } from './session-guard.ts';
import { toApiMessage, toSummary } from './present.ts';
import { coalescingSender } from '../coalesced-send.ts';
import { webSocketRoute } from '../websocket-routes.ts';
import { recordOf } from '../../features/recent-messages.ts';

const SESSION_CHECK_MS = 30_000;

const clientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('typing'), conversationId: z.string().max(64), on: z.boolean() }).strict(),
  z.object({ type: z.literal('ping') }).strict(),
]);

declare module 'fastify' {
  interface FastifyRequest { staffAuth?: Authenticated }
}

export interface StaffSocketDeps {
  store: Store;
  bus: Bus;
  auth: StaffAuth;
  guard: SessionGuard;
  conversations: ConversationService;
  presence?: StaffPresence;
}

export async function staffSocketRoutes(app: FastifyInstance, deps: StaffSocketDeps): Promise<void> {
  webSocketRoute(app, '/api/ws', {
    preValidation: async (req, reply) => {
      // Same-origin only: a page elsewhere must not ride the staff member's cookie (CSWSH).
      if (isCrossOrigin(req)) {
        return reply.code(403).send(errorBody('origin_mismatch', 'Request origin not allowed'));
      }
      try {
        req.staffAuth = await deps.auth.authenticate(deps.guard.token(req), false);
      } catch {
        return reply.code(401).send(errorBody('unauthenticated', 'Sign in to continue'));
      }
    },
  }, (socket, req) => {
    void serve(socket, req.staffAuth as Authenticated, req.cookies?.bedside_session, deps);
  });
}

async function serve(socket: WebSocket, auth: Authenticated, token: string | undefined, deps: StaffSocketDeps): Promise<void> {
  const { store, bus } = deps;
  const orgId = auth.org.id;
  const staffId = auth.account.id;
  const write = coalescingSender(socket);
  const send = (frame: unknown) => {
    if (socket.readyState === socket.OPEN) write(JSON.stringify(frame));
  };
  let chain = Promise.resolve();
  const unsubscribe = await bus.subscribe(topics.org(orgId), (raw) => {
    const event = raw as OrgEvent;
    // In order, one at a time: a message and the conversation update it causes arrive in sequence.
    chain = chain.then(async () => {
      if (event.type === 'presence') {
        send(event);
        return;
      }
      if (event.type === 'typing') {
        if (event.who === 'contact' || event.staffId !== staffId) send(event);
        return;
      }
      // Their own read, from another tab or device: the row follows with its unread count.
      if (event.type === 'conversation.read' && event.staffId !== staffId) return;
      // A message this node just committed (no files) is sent as written, not read back; a
      // change to one (delivery status, files fetched later) always comes from the store.
      const recent = event.type === 'message.created' ? recordOf(event) ?? deps.conversations.recent.get(orgId, event.messageId) : undefined;
      if (recent) {
        send({ type: event.type, conversationId: recent.conversation.id, conversation: listFields(recent.conversation), message: toApiMessage(recent.message, recent.conversation.channel) });
        // The inbox moves the row it holds with the message itself (web/inbox/lib/list.ts), and
        // `conversation` tells it whether a row it does not hold belongs in its view. Reading the
        // row back for every message and staff member was the largest cost of the live fan-out.
        if (!recent.opensConversation) return;
      } else if (event.type === 'message.created' || event.type === 'message.updated') {
        const m = await store.getMessage(orgId, event.messageId);
        const c = m && await store.getConversation(orgId, m.conversationId);
        if (m && c) {
          send({ type: event.type, conversationId: c.id, conversation: listFields(c), message: toApiMessage(m, c.channel, await store.attachments.listForMessages(c.orgId, [m.id])) });
        }
        if (event.type === 'message.updated') return;
      }
      const known = recent && recent.message.kind === 'message' ? { id: recent.message.id, body: recent.message.body } : undefined;
      const row = await store.inbox.conversationRow(orgId, staffId, event.conversationId, known);
      if (row) send({ type: 'conversation.updated', conversation: toSummary(row) });
    }).catch(() => undefined);
  });

  // Who else is here, on any node; changes follow as `presence` frames.
  const presence = await deps.presence?.connect(orgId, staffId);
  let lastSnapshot = '';
  const snapshot = async () => {
    if (!deps.presence) return;
    const online = await deps.presence.online(orgId);
    // Re-sent only when it changed: how the entries of a node that died (no "offline") disappear.
    if (JSON.stringify(online) === lastSnapshot) return;
    lastSnapshot = JSON.stringify(online);
    send({ type: 'presence.snapshot', online });
  };
  await snapshot();
  const refresh = setInterval(() => void snapshot().catch(() => undefined), PRESENCE_HEARTBEAT_MS);

  // The socket lives only as long as the session: idle logoff and "sign out everywhere" end it.
  const check = setInterval(() => {
    deps.auth.authenticate(token, false).catch(() => {
      send({ type: 'session.ended' });
      socket.close(4401, 'session ended');
    });
  }, SESSION_CHECK_MS);

  socket.on('message', (data) => {
    let frame;
    try {
      frame = clientFrame.parse(JSON.parse(String(data)));
    } catch {
      send({ type: 'error', code: 'invalid_frame', message: 'The frame could not be accepted' });
      return;
    }
    if (frame.type === 'ping') return send({ type: 'pong' });
    void (async () => {
      const c = await store.getConversation(orgId, frame.conversationId);
      if (c) await deps.conversations.staffTyping(c, auth.account, frame.on);
    })().catch(() => undefined);
  });
  const cleanup = () => {
    clearInterval(check);
    clearInterval(refresh);
    void unsubscribe();
    void presence?.end();
  };
  socket.on('close', cleanup);
  // Closed while we were subscribing: its close event has already gone by.
  if (socket.readyState !== socket.OPEN) cleanup();
}

/** What decides which staff lists a conversation belongs in (web/inbox/lib/list.ts `matchesView`). */
function listFields(c: Pick<Conversation, 'inboxId' | 'channel' | 'status' | 'assigneeId'>) {
  return { inboxId: c.inboxId, channel: c.channel, status: c.status, assigneeId: c.assigneeId };
}
