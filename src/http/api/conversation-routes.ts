import { z } from 'zod';
import { CLIENT_ID_PATTERN, MAX_MESSAGE_CHARS } from '../../channels/widget/protocol.ts';
import type { Conversation } from '../../domain/types.ts';
import { AppError } from '../../errors.ts';
import type { AuditTrail } from '../../features/audit.ts';
import type { ConversationService } from '../../features/conversations.ts';
import { ReplyChannels } from '../../features/reply-channels.ts';
import type { Authenticated } from '../../features/staff-auth.ts';
import type { Store } from '../../store/types.ts';
import type { ApiRegistry } from './registry.ts';
import { staffActor } from './session-guard.ts';
import { conversationSummarySchema, messageSchema, toApiMessage, toApiMessages, toSummary } from './present.ts';

const CHANNELS = ['web', 'sms', 'email', 'messenger', 'whatsapp', 'viber'] as const;
const HISTORY_PAGE = 100;

const idParams = z.object({ id: z.string().min(1).max(64) });

function encodeCursor(c: { lastMessageAt: number; id: string }): string {
  return Buffer.from(`${c.lastMessageAt}:${c.id}`).toString('base64url');
}

function decodeCursor(s: string): { lastMessageAt: number; id: string } {
  const [at, id] = Buffer.from(s, 'base64url').toString('utf8').split(':');
  if (!at || !id || !/^\d+$/.test(at)) throw new AppError('invalid_request', 400, 'Invalid request: query.cursor');
  return { lastMessageAt: Number(at), id };
}

export interface ConversationRouteDeps {
  store: Store;
  conversations: ConversationService;
  audit: AuditTrail;
}

export function conversationRoutes(api: ApiRegistry, { store, conversations, audit }: ConversationRouteDeps): void {
  const replyChannels = new ReplyChannels(store);
  const load = async (auth: Authenticated, id: string): Promise<Conversation> => {
    const c = await store.getConversation(auth.org.id, id);
    // Another practice's id is indistinguishable from one that does not exist.
    if (!c) throw new AppError('not_found', 404, 'Conversation not found');
    return c;
  };
  const summary = async (auth: Authenticated, id: string) => {
    const row = await store.inbox.conversationRow(auth.org.id, auth.account.id, id);
    if (!row) throw new AppError('not_found', 404, 'Conversation not found');
    return toSummary(row);
  };

  api.route({
    method: 'GET', url: '/api/conversations', tag: 'conversations', access: 'agent', summary: 'One page of the conversation list, newest activity first',
    query: z.object({
      status: z.enum(['open', 'resolved', 'all']).default('open'),
      assignee: z.enum(['any', 'me', 'unassigned']).default('any'),
      inboxId: z.string().max(64).optional(),
      channel: z.enum(CHANNELS).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: z.string().max(200).optional(),
    }).strict(),
    response: { schema: z.object({ items: z.array(conversationSummarySchema), nextCursor: z.string().nullable() }) },
    handler: async ({ auth, query }) => {
      const rows = await store.inbox.listConversations({
        orgId: auth.org.id, staffId: auth.account.id, status: query.status, assignee: query.assignee,
        ...(query.inboxId ? { inboxId: query.inboxId } : {}), ...(query.channel ? { channel: query.channel } : {}),
        limit: query.limit + 1, ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}),
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { items: page.map(toSummary), nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
    },
  });

  api.route({
    method: 'GET', url: '/api/conversations/counts', tag: 'conversations', access: 'agent', summary: 'How many conversations each filter holds',
    response: { schema: z.object({ open: z.number(), mine: z.number(), unassigned: z.number(), resolved: z.number() }) },
    handler: ({ auth }) => store.inbox.countConversations(auth.org.id, auth.account.id),
  });

  api.route({
    method: 'GET', url: '/api/conversations/:id', tag: 'conversations', access: 'agent',
    summary: "A conversation with the contact's whole history across channels",
    params: idParams,
    response: {
      schema: z.object({
        conversation: conversationSummarySchema,
        contact: z.object({ id: z.string(), displayName: z.string().nullable(), email: z.string().nullable(), phone: z.string().nullable(), dateOfBirth: z.string().nullable(), channels: z.array(z.string()), replyChannels: z.array(z.string()) }),
        messages: z.array(messageSchema), hasMore: z.boolean(),
      }),
    },
    handler: async ({ auth, params, ip }) => {
      const c = await load(auth, params.id);
      const [conversation, contact, history, channels, dateOfBirth] = await Promise.all([
        summary(auth, c.id), store.getContact(auth.org.id, c.contactId),
        store.inbox.contactHistory(auth.org.id, c.contactId, HISTORY_PAGE + 1), store.inbox.contactChannels(auth.org.id, c.contactId),
        store.records.dateOfBirth(auth.org.id, c.contactId),
      ]);
      await audit.record(store, staffActor(auth, ip), 'conversation.open', 'success', { type: 'conversation', id: c.id });
      const page = history.slice(-HISTORY_PAGE);
      return {
        conversation,
        contact: {
          id: c.contactId, displayName: contact?.displayName ?? null, email: contact?.email ?? null, phone: contact?.phone ?? null, dateOfBirth, channels,
          replyChannels: contact ? await replyChannels.available(c, contact) : [c.channel],
        },
        messages: await toApiMessages(store, auth.org.id, page), hasMore: history.length > HISTORY_PAGE,
      };
    },
  });

  api.route({
    method: 'GET', url: '/api/conversations/:id/history', tag: 'conversations', access: 'agent', summary: 'Older messages of the contact',
    params: idParams,
    query: z.object({ before: z.coerce.number().int().positive() }).strict(),
    response: { schema: z.object({ messages: z.array(messageSchema), hasMore: z.boolean() }) },
    handler: async ({ auth, params, query }) => {
      const c = await load(auth, params.id);
      const history = await store.inbox.contactHistory(auth.org.id, c.contactId, HISTORY_PAGE + 1, query.before);
      return { messages: await toApiMessages(store, auth.org.id, history.slice(-HISTORY_PAGE)), hasMore: history.length > HISTORY_PAGE };
    },
  });

  api.route({
    method: 'POST', url: '/api/conversations/:id/messages', tag: 'conversations', access: 'agent',
    summary: 'Reply to the patient, or add an internal note; clientId makes a retry harmless',
    params: idParams,
    body: z.object({
      body: z.string().max(MAX_MESSAGE_CHARS).refine((s) => s.trim().length > 0, 'empty'),
      internal: z.boolean().default(false),
      clientId: z.string().regex(CLIENT_ID_PATTERN),
      /** Answer on another of the contact's channels (one of `contact.replyChannels`). */
      channel: z.enum(CHANNELS).optional(),
    }).strict(),
    response: { status: 201, schema: z.object({ message: messageSchema }) },
    handler: async ({ auth, params, body, ip }) => {
      const loaded = await load(auth, params.id);
      const { conversation: c, opened } = body.channel && !body.internal
        ? await replyChannels.conversationFor(loaded, body.channel) : { conversation: loaded, opened: false };
      const { message } = await conversations.recordStaffReply({
        conversation: c, opensConversation: opened, staff: auth.account, body: body.body.trim(), internal: body.internal,
        source: 'inbox', sourceId: `${auth.account.id}:${body.clientId}`,
      });
      await audit.record(store, staffActor(auth, ip), body.internal ? 'message.note' : 'message.send', 'success', { type: 'message', id: String(message.id) }, c.id === loaded.id ? undefined : { channel: c.channel });
      return { message: toApiMessage(message, c.channel) };
    },
  });

  api.route({
    method: 'POST', url: '/api/conversations/:id/assign', tag: 'conversations', access: 'agent', summary: 'Assign to a staff member, or unassign with null',
    params: idParams,
    body: z.object({ staffId: z.string().max(64).nullable() }).strict(),
    response: { schema: z.object({ conversation: conversationSummarySchema }) },
    handler: async ({ auth, params, body, ip }) => {
      const c = await load(auth, params.id);
      if (body.staffId !== null) {
        const target = await store.auth.getAccount(auth.org.id, body.staffId);
        if (!target || target.status === 'disabled') throw new AppError('not_found', 404, 'Staff member not found');
      }
      await conversations.assign(c, body.staffId);
      await audit.record(store, staffActor(auth, ip), 'conversation.assign', 'success', { type: 'conversation', id: c.id }, { assigneeId: body.staffId });
      return { conversation: await summary(auth, c.id) };
    },
  });

  for (const action of ['resolve', 'reopen'] as const) {
    api.route({
      method: 'POST', url: `/api/conversations/:id/${action}`, tag: 'conversations', access: 'agent',
      summary: action === 'resolve' ? 'Mark resolved' : 'Open again', params: idParams,
      response: { schema: z.object({ conversation: conversationSummarySchema }) },
      handler: async ({ auth, params, ip }) => {
        const c = await load(auth, params.id);
        if (action === 'resolve') await conversations.resolve(c, auth.account);
        else await conversations.reopen(c);
        await audit.record(store, staffActor(auth, ip), `conversation.${action}`, 'success', { type: 'conversation', id: c.id });
        return { conversation: await summary(auth, c.id) };
      },
    });
  }

  api.route({
    method: 'POST', url: '/api/conversations/:id/read', tag: 'conversations', access: 'agent', summary: 'Mark read up to a message', response: { status: 204, description: 'Done' },
    params: idParams,
    body: z.object({ lastMessageId: z.number().int().nonnegative() }).strict(),
    handler: async ({ auth, params, body }) => {
      const c = await load(auth, params.id);
      await conversations.markRead(c, auth.account, body.lastMessageId);
    },
  });

  api.route({
    method: 'POST', url: '/api/conversations/:id/typing', tag: 'conversations', access: 'agent', summary: 'Show or hide "typing" to the patient', response: { status: 204, description: 'Done' },
    params: idParams,
    body: z.object({ on: z.boolean() }).strict(),
    handler: async ({ auth, params, body }) => {
      const c = await load(auth, params.id);
      await conversations.staffTyping(c, auth.account, body.on);
    },
  });

  api.route({
    method: 'GET', url: '/api/search', tag: 'conversations', access: 'agent',
    summary: 'Messages containing every word of q (through a keyed word index: no plaintext is searched)',
    query: z.object({ q: z.string().trim().min(2).max(200), limit: z.coerce.number().int().min(1).max(50).default(20) }).strict(),
    response: { schema: z.object({ items: z.array(z.object({ message: messageSchema, conversationId: z.string() })) }) },
    handler: async ({ auth, query, ip }) => {
      const hits = await store.inbox.searchMessages(auth.org.id, query.q, query.limit);
      await audit.record(store, staffActor(auth, ip), 'message.search', 'success', undefined, { results: hits.length });
      return { items: hits.map((m) => ({ message: toApiMessage(m, m.channel), conversationId: m.conversationId })) };
    },
  });

  api.route({
    method: 'GET', url: '/api/staff', tag: 'conversations', access: 'agent', summary: 'Colleagues a conversation can be assigned to',
    response: { schema: z.object({ items: z.array(z.object({ id: z.string(), displayName: z.string(), role: z.string() })) }) },
    handler: async ({ auth }) => ({
      items: (await store.auth.listAccounts(auth.org.id))
        .filter((a) => a.status === 'active' && a.email)
        .map((a) => ({ id: a.id, displayName: a.displayName, role: a.role })),
    }),
  });

  api.route({
    method: 'GET', url: '/api/inboxes', tag: 'conversations', access: 'agent', summary: "The practice's inboxes",
    response: { schema: z.object({ items: z.array(z.object({ id: z.string(), name: z.string(), channel: z.string() })) }) },
    handler: async ({ auth }) => ({ items: (await store.listInboxes(auth.org.id)).map((i) => ({ id: i.id, name: i.name, channel: i.channel })) }),
  });
}
