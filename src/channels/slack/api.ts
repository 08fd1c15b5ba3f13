/**
 * The Slack Web API calls Bedside makes, through the official client, with its own retries off:
 * the outbox worker owns retrying (durably, with Retry-After honoured), so a failure surfaces here
 * at once as a RetryableError or a PermanentError.
 */
import { WebClient, ErrorCode, type Block, type KnownBlock } from '@slack/web-api';
import { AmbiguousError, PermanentError, RetryableError } from '../../jobs/errors.ts';

/** Slack error codes that no retry can fix: configuration must change first. */
const PERMANENT = new Set([
  'channel_not_found', 'not_in_channel', 'is_archived', 'invalid_auth', 'not_authed', 'account_inactive',
  'token_revoked', 'no_permission', 'missing_scope', 'invalid_blocks', 'msg_too_long', 'message_not_found',
  'cant_update_message', 'restricted_action', 'user_not_found', 'invalid_arguments', 'unknown_method',
]);



export const DELIVERY_EVENT_TYPE = 'bedside_delivery';

export interface PostArgs {
  channel: string;
  text: string;
  blocks?: Array<Block | KnownBlock>;
  threadTs?: string;
  /** Stored with the message as Slack message metadata, so a retry can find an earlier success. */
  deliveryKey: string;
}

export interface SlackUser { id: string; displayName: string; isBot: boolean }

/** A quiet logger for the SDK: its debug output can include request arguments (message text). */
const silentLogger = {
  debug() {}, info() {}, warn() {}, error() {},
  setLevel() {}, getLevel() { return 'error' as never; }, setName() {},
};

export class SlackApi {
  private readonly client: WebClient;

  constructor(token: string, apiUrl: string, timeoutMs = 10_000) {
    this.client = new WebClient(token, {
      slackApiUrl: apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: timeoutMs,
      logger: silentLogger,
    });
  }

  async postMessage(args: PostArgs): Promise<string> {
    const res = await this.call(() => this.client.chat.postMessage({
      channel: args.channel,
      text: args.text,
      ...(args.blocks ? { blocks: args.blocks } : {}),
      ...(args.threadTs ? { thread_ts: args.threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
      metadata: { event_type: DELIVERY_EVENT_TYPE, event_payload: { key: args.deliveryKey } },
    }));
    if (!res.ts) throw new RetryableError('chat.postMessage returned no ts');
    return res.ts;
  }

  async updateMessage(channel: string, ts: string, text: string, blocks: Array<Block | KnownBlock>): Promise<void> {
    await this.call(() => this.client.chat.update({ channel, ts, text, blocks }));
  }

  /**
   * The ts of a message this app already posted with `deliveryKey` (top level, or in `threadTs`),
   * posted no earlier than `oldestSeconds`; undefined if there is none.
   */
  async findDelivered(channel: string, deliveryKey: string, oldestSeconds: number, threadTs?: string): Promise<string | undefined> {
    const oldest = Math.max(0, oldestSeconds).toFixed(6);
    let res;
    try {
      res = threadTs
        ? await this.call(() => this.client.conversations.replies({ channel, ts: threadTs, oldest, limit: 200, include_all_metadata: true }))
        : await this.call(() => this.client.conversations.history({ channel, oldest, limit: 200, include_all_metadata: true }));
    } catch (err) {
      // Without history access (scope removed, a Slack-compatible server without the method) the
      // check cannot be made: posting again risks a duplicate, not posting would lose the message.
      if (err instanceof PermanentError) return undefined;
      throw err;
    }
    const found = (res.messages ?? []).find((m) => {
      const meta = m.metadata as { event_type?: string; event_payload?: { key?: unknown } } | undefined;
      return meta?.event_type === DELIVERY_EVENT_TYPE && meta.event_payload?.key === deliveryKey;
    });
    return found?.ts;
  }

  async userInfo(userId: string): Promise<SlackUser> {
    const res = await this.call(() => this.client.users.info({ user: userId }));
    const u = res.user;
    if (!u?.id) throw new PermanentError('users.info returned no user');
    const displayName = u.profile?.display_name || u.profile?.real_name || u.real_name || u.name || 'Staff';
    return { id: u.id, displayName, isBot: Boolean(u.is_bot) };
  }

  /** Channels the administrator may choose for an inbox (names are not PHI); the first 1,000. */
  async listChannels(): Promise<Array<{ id: string; name: string; isPrivate: boolean; isMember: boolean }>> {
    const out: Array<{ id: string; name: string; isPrivate: boolean; isMember: boolean }> = [];
    let cursor: string | undefined;
    do {
      const res = await this.call(() => this.client.conversations.list({
        types: 'public_channel,private_channel', exclude_archived: true, limit: 200, ...(cursor ? { cursor } : {}),
      }));
      for (const c of res.channels ?? []) {
        if (c.id && c.name) out.push({ id: c.id, name: c.name, isPrivate: Boolean(c.is_private), isMember: Boolean(c.is_member) });
      }
      cursor = res.response_metadata?.next_cursor || undefined;
    } while (cursor && out.length < 1000);
    return out;
  }

  /** apps.uninstall: removes the app from this token's workspace (needs the app's client credentials). */
  async uninstall(clientId: string, clientSecret: string): Promise<void> {
    await this.call(() => this.client.apps.uninstall({ client_id: clientId, client_secret: clientSecret }));
  }

  private botUserId: Promise<string | undefined> | undefined;

  /** This app's own bot user id (auth.test), looked up once. */
  ownUserId(): Promise<string | undefined> {
    this.botUserId ??= this.call(() => this.client.auth.test()).then((r) => r.user_id);
    this.botUserId.catch(() => { this.botUserId = undefined; });
    return this.botUserId;
  }

  /** Maps the SDK's errors onto the worker's: only Slack's error code is kept, never arguments. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = err as { code?: string; data?: { error?: string }; retryAfter?: number; statusCode?: number };
      if (e.code === ErrorCode.RateLimitedError) {
        throw new RetryableError('slack rate limited', (e.retryAfter ?? 1) * 1000);
      }
      if (e.code === ErrorCode.PlatformError) {
        const code = e.data?.error ?? 'unknown';
        if (code === 'ratelimited') throw new RetryableError('slack rate limited', 1000);
        if (PERMANENT.has(code)) throw new PermanentError(`slack error ${code}`);
        throw new RetryableError(`slack error ${code}`);
      }
      if (e.code === ErrorCode.HTTPError) throw new RetryableError(`slack http ${e.statusCode ?? '?'}`);
      // No answer: Slack may have applied the call (see mayHaveBeenApplied).
      throw new AmbiguousError('slack unreachable');
    }
  }
}
