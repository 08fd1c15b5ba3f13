/**
 * The widget's WebSocket endpoint. One connection = one visitor in one inbox. Frames are handled
 * strictly in arrival order; any frame that fails validation is answered with an error frame and
 * changes nothing. See protocol.ts for the exactly-once rules.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Bus } from '../../bus/types.ts';
import { topics } from '../../bus/types.ts';
import type { Contact, Inbox } from '../../domain/types.ts';
import type { ConversationService } from '../../features/conversations.ts';
import type { VisitorEvent } from '../../features/events.ts';
import type { Logger } from '../../log.ts';
import { issueVisitorToken, newVisitorId, verifyVisitorToken } from '../../security/visitor-token.ts';
import type { Store } from '../../store/types.ts';
import { errorBody } from '../../errors.ts';
import { CLIENT_ID_PATTERN, clientFrameSchema, type ClientFrame, type ServerFrame, type VisitorProfile } from './protocol.ts';
import { toWidgetInboxInfo, toWidgetMessage } from './present.ts';
import { coalescingSender } from '../../http/coalesced-send.ts';
import { recordOf, type RecentMessage } from '../../features/recent-messages.ts';
import { SharedInboxes } from './shared-inboxes.ts';
import { webSocketRoute } from '../../http/websocket-routes.ts';

export const WIDGET_MAX_FRAME_BYTES = 32 * 1024;
const HELLO_TIMEOUT_MS = 10_000;
const REPLAY_LIMIT = 200;
/** A socket that cannot take more than this unsent is too slow; it is closed and will resume. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Patient messages: a burst of 10, then one per second. */
const RATE_BURST = 10;
const RATE_PER_SEC = 1;
/** How many of its own messages' client ids a connection remembers, to skip their echo. */
const OWN_CLIENT_IDS = 64;

export interface WidgetSocketDeps {
  store: Store;
  bus: Bus;
  conversations: ConversationService;
  secretKey: string;
  log: Logger;
}

declare module 'fastify' {
  interface FastifyRequest { widgetInbox?: Inbox }
}

export function profileComplete(inbox: Inbox, contact: Contact | undefined): boolean {
  const { enabled, fields } = inbox.settings.preChat;
  if (!enabled) return true;
  if (!contact) return false;
  if (fields.includes('name') && !contact.displayName) return false;
  const reachable = fields.filter((f) => f === 'email' || f === 'phone');
  return reachable.length === 0 || reachable.some((f) => (f === 'email' ? contact.email : contact.phone));
}

function profileAcceptable(inbox: Inbox, p: VisitorProfile): boolean {
  const { enabled, fields } = inbox.settings.preChat;
  if (!p.name && !p.email && !p.phone) return false;
  // Without a pre-chat form, whatever the visitor chose to tell is welcome.
  if (!enabled) return true;
  if (fields.includes('name') && !p.name) return false;
  const reachable = fields.filter((f) => f === 'email' || f === 'phone');
  return reachable.length === 0 || reachable.some((f) => p[f]);
}

export async function widgetSocketRoutes(app: FastifyInstance, deps: WidgetSocketDeps): Promise<void> {
  const inboxes = new SharedInboxes();
  webSocketRoute(app, '/widget/ws', {
    // Runs before the upgrade: an unknown inbox gets a plain 404, no socket is opened.
    preValidation: async (req, reply) => {
      const { inbox: key } = req.query as { inbox?: unknown };
      const inbox = typeof key === 'string' && key && key.length <= 64 ? await deps.store.findInboxByPublicKey(key) : undefined;
      if (!inbox || inbox.channel !== 'web') {
        return reply.code(404).send(errorBody('unknown_inbox', 'Unknown inbox'));
      }
      req.widgetInbox = inboxes.share(inbox);
    },
  }, (socket, req) => {
    new WidgetConnection(socket, req.widgetInbox as Inbox, deps).start();
  });
}

class WidgetConnection {
  private visitorId: string | undefined;
  private contact: Contact | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  /** A frame is being handled; later ones wait in `backlog` (made on first use). */
  private handling = false;
  private backlog: Array<{ raw: string; isBinary: boolean }> | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private tokens = RATE_BURST;
  private lastRefill = Date.now();
  private closed = false;
  // Both made on first use: most connections sit idle on a page, and each byte here is paid 10,000 times.
  private write: ((data: string) => void) | undefined;
  /**
   * Client ids of the messages this connection sent lately, a ring of the last OWN_CLIENT_IDS:
   * their live echo is not sent back to it. Not a Set: see domain/waiting-by-id.ts for what a hash
   * table replaced every few dozen messages costs the young generation.
   */
  private ownClientIds: string[] | undefined;
  private nextOwn = 0;

  constructor(private readonly socket: WebSocket, private readonly inbox: Inbox, private readonly deps: WidgetSocketDeps) {}

  start(): void {
    this.helloTimer = setTimeout(() => this.socket.close(4408, 'hello expected'), HELLO_TIMEOUT_MS);
    this.socket.on('message', (data, isBinary) => {
      if (this.handling) (this.backlog ??= []).push({ raw: data.toString(), isBinary });
      else void this.handleFrames(data.toString(), isBinary);
    });
    this.socket.on('close', () => {
      this.closed = true;
      clearTimeout(this.helloTimer);
      void this.unsubscribe?.();
    });
  }

  /**
   * One frame at a time, in arrival order: a message must be acked before the next frame is looked
   * at. A loop, not a chain of promises: the chain's last link lived until the visitor's next frame
   * (a second or more) and was copied and promoted by the scavenges in between, at every socket.
   */
  private async handleFrames(raw: string, isBinary: boolean): Promise<void> {
    this.handling = true;
    for (;;) {
      try {
        await this.onFrame(raw, isBinary);
      } catch (err) {
        this.deps.log.error({ err }, 'widget frame failed');
        this.send({ type: 'error', code: 'internal', message: 'Something went wrong; please try again' });
      }
      const next = this.backlog?.shift();
      if (!next) break;
      ({ raw, isBinary } = next);
    }
    this.handling = false;
  }

  private send(frame: ServerFrame): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.socket.close(1013, 'too slow');
      return;
    }
    (this.write ??= coalescingSender(this.socket))(JSON.stringify(frame));
  }

  private async onFrame(raw: string, isBinary: boolean): Promise<void> {
    let json: unknown;
    try {
      if (isBinary) throw new Error('binary');
      json = JSON.parse(raw);
    } catch {
      this.send({ type: 'error', code: 'invalid_frame', message: 'Frames must be JSON objects' });
      return;
    }
    const parsed = clientFrameSchema.safeParse(json);
    if (!parsed.success) {
      // Echo the client id only when it is one: it lets the widget mark that message failed.
      const clientId = json && typeof json === 'object' ? (json as { clientId?: unknown }).clientId : undefined;
      this.send({
        type: 'error', code: 'invalid_frame', message: 'The message could not be accepted',
        ...(typeof clientId === 'string' && CLIENT_ID_PATTERN.test(clientId) ? { clientId } : {}),
      });
      return;
    }
    const frame: ClientFrame = parsed.data;

    if (frame.type === 'ping') return this.send({ type: 'pong' });
    if (frame.type === 'hello') return this.onHello(frame.token, frame.lastSeenId ?? 0);
    if (!this.visitorId) {
      this.send({ type: 'error', code: 'hello_required', message: 'Send hello first' });
      return;
    }
    if (frame.type === 'message') return this.onMessage(frame.clientId, frame.body);
    if (frame.type === 'profile') return this.onProfile(frame.profile);
    if (frame.type === 'typing') return this.onTyping(frame.on);
  }

  private async onHello(token: string | undefined, lastSeenId: number): Promise<void> {
    const { secretKey, store, conversations } = this.deps;
    const claims = token ? verifyVisitorToken(secretKey, token, this.inbox.id) : undefined;
    // A second hello on the same socket may not switch visitors.
    const visitorId = this.visitorId ?? claims?.visitorId ?? newVisitorId();
    this.visitorId = visitorId;
    clearTimeout(this.helloTimer);
    this.contact = await conversations.findContact(this.inbox, { channel: 'web', externalId: visitorId });
    if (this.contact) await this.subscribe(this.contact);
    const messages = this.contact
      ? await store.listContactMessagesAfter(this.inbox.orgId, this.inbox.id, this.contact.id, lastSeenId, REPLAY_LIMIT)
      : [];
    this.send({
      type: 'welcome',
      token: issueVisitorToken(secretKey, { visitorId, inboxId: this.inbox.id, issuedAt: Date.now() }),
      inbox: toWidgetInboxInfo(this.inbox),
      profileComplete: profileComplete(this.inbox, this.contact),
      messages: messages.map(toWidgetMessage),
    });
  }

  private async onMessage(clientId: string, body: string): Promise<void> {
    if (!this.takeToken()) {
      this.send({ type: 'error', code: 'rate_limited', message: 'Too many messages; please wait a moment', clientId });
      return;
    }
    // Bounded: only the echo of a message still on its way matters.
    (this.ownClientIds ??= new Array<string>(OWN_CLIENT_IDS).fill(''))[this.nextOwn++ % OWN_CLIENT_IDS] = clientId;
    const { message, conversation } = await this.deps.conversations.receivePatientMessage({
      inbox: this.inbox, identity: { channel: 'web', externalId: this.visitorId as string }, body, clientId,
      ...(this.contact ? { lastContactId: this.contact.id } : {}),
    });
    // The first message created the contact, or staff merged this visitor into another one: follow
    // the contact the message went to, for the next message's look-up and for live replies.
    if (conversation.contactId !== this.contact?.id) {
      this.contact = await this.deps.conversations.findContact(this.inbox, { channel: 'web', externalId: this.visitorId as string });
      await this.unsubscribe?.();
      this.unsubscribe = undefined;
      if (this.contact) await this.subscribe(this.contact);
    }
    this.send({ type: 'ack', clientId, message: toWidgetMessage(message) });
  }

  private async onProfile(profile: VisitorProfile): Promise<void> {
    if (!profileAcceptable(this.inbox, profile)) {
      this.send({ type: 'error', code: 'invalid_profile', message: 'Please fill in the required fields' });
      return;
    }
    this.contact = await this.deps.conversations.saveContactProfile(
      this.inbox, { channel: 'web', externalId: this.visitorId as string },
      Object.assign(
        {},
        profile.name ? { displayName: profile.name } : {},
        profile.email ? { email: profile.email.toLowerCase() } : {},
        profile.phone ? { phone: profile.phone } : {},
      ),
    );
    await this.subscribe(this.contact);
    this.send({ type: 'profile_saved' });
  }

  private async onTyping(on: boolean): Promise<void> {
    if (!this.contact) return;
    const conversation = await this.deps.store.findLatestConversation(this.inbox.orgId, this.inbox.id, this.contact.id);
    if (conversation) await this.deps.conversations.patientTyping(conversation, on);
  }

  private async subscribe(contact: Contact): Promise<void> {
    if (this.unsubscribe || this.closed) return;
    let live = Promise.resolve();
    this.unsubscribe = await this.deps.bus.subscribe(topics.visitor(this.inbox.id, contact.id), (event) => {
      const e = event as VisitorEvent;
      // This connection sent it and gets (or got) the ack; the patient's other tabs get the echo.
      // Known at once when the record came with the event: nothing to queue behind the others.
      if (e.type === 'message' && this.sentHere(recordOf(e))) return;
      // One at a time, so a reply and the typing "off" after it arrive in the order they happened.
      live = live.then(async () => {
        if (e.type === 'message') {
          // Just committed on this node: as written; otherwise from the store.
          const recent = recordOf(e) ?? this.deps.conversations.recent.get(this.inbox.orgId, e.messageId);
          if (this.sentHere(recent)) return;
          const m = recent?.message ?? await this.deps.store.getMessage(this.inbox.orgId, e.messageId);
          // The topic is this contact's; the check keeps a stray event from showing another's message.
          const c = recent?.conversation ?? (m && await this.deps.store.getConversation(this.inbox.orgId, m.conversationId));
          if (m && m.kind === 'message' && c?.contactId === contact.id) this.send({ type: 'message', message: toWidgetMessage(m) });
        } else if (e.type === 'typing') {
          this.send({ type: 'typing', on: e.on, ...(e.name ? { name: e.name } : {}) });
        }
      }).catch((err: unknown) => this.deps.log.warn({ err }, 'widget live event failed'));
    });
    // The socket may have closed while we were subscribing.
    if (this.closed) void this.unsubscribe();
  }

  /** A patient message this connection sent lately (see ownClientIds). */
  private sentHere(recent: RecentMessage | undefined): boolean {
    const clientId = recent?.message.direction === 'in' ? recent.message.clientId : null;
    return !!clientId && !!this.ownClientIds?.includes(clientId);
  }

  private takeToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(RATE_BURST, this.tokens + ((now - this.lastRefill) / 1000) * RATE_PER_SEC);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
