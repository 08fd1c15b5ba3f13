/**
 * Viber REST bot API (`https://chatapi.viber.com/pa`, configurable): `send_message` and
 * `set_webhook`, authenticated with `X-Viber-Auth-Token`. Viber answers HTTP 200 with a `status`
 * code; 12 (too many requests) and HTTP 429/5xx retry, 6 (receiver not subscribed) means the
 * patient unsubscribed, any other code is permanent.
 */
import { AmbiguousError, PermanentError, RetryableError } from '../../jobs/errors.ts';
import { parseViberJson } from './verify.ts';
import { viberResponseSchema } from './schema.ts';

export const VIBER_NOT_SUBSCRIBED = 6;
const VIBER_TOO_MANY_REQUESTS = 12;

export class ViberUnsubscribedError extends PermanentError {
  constructor() {
    super(`viber status ${VIBER_NOT_SUBSCRIBED}: receiver not subscribed`);
  }
}

export class ViberError extends PermanentError {
  constructor(readonly status: number) {
    super(`viber status ${status}`);
    this.name = 'ViberError';
  }
}

export interface ViberApiConfig { authToken: string; apiUrl: string; senderName: string }

export class ViberApi {
  constructor(private readonly cfg: ViberApiConfig, private readonly timeoutMs = 10_000) {}

  private async call(method: string, body: Record<string, unknown>): Promise<{ messageToken: string | undefined }> {
    let res: Response;
    try {
      res = await fetch(`${this.cfg.apiUrl.replace(/\/+$/, '')}/${method}`, {
        method: 'POST', headers: { 'x-viber-auth-token': this.cfg.authToken, 'content-type': 'application/json' },
        body: JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch {
      throw new AmbiguousError('viber unreachable');
    }
    const text = await res.text();
    const after = Number(res.headers.get('retry-after'));
    const retryAfterMs = Number.isFinite(after) && after > 0 ? after * 1000 : undefined;
    if (res.status === 429) throw new RetryableError('viber rate limited', retryAfterMs ?? 1000);
    if (res.status >= 500) throw new RetryableError(`viber http ${res.status}`, retryAfterMs);
    if (!res.ok) throw new PermanentError(`viber http ${res.status}`);
    let parsed: unknown;
    try {
      parsed = parseViberJson(text);
    } catch {
      throw new RetryableError('viber answered without JSON');
    }
    const r = viberResponseSchema.safeParse(parsed);
    if (!r.success) throw new RetryableError('viber answered an unknown shape');
    if (r.data.status === 0) return { messageToken: r.data.message_token };
    if (r.data.status === VIBER_TOO_MANY_REQUESTS) throw new RetryableError('viber too many requests', retryAfterMs);
    if (r.data.status === VIBER_NOT_SUBSCRIBED) throw new ViberUnsubscribedError();
    throw new ViberError(r.data.status);
  }

  async sendText(receiver: string, text: string, trackingData?: string): Promise<string | undefined> {
    const r = await this.call('send_message', {
      receiver, min_api_version: 1, sender: { name: this.cfg.senderName }, type: 'text', text,
      ...(trackingData ? { tracking_data: trackingData } : {}),
    });
    return r.messageToken;
  }

  /** Registers the webhook (Viber calls it once with `event: webhook` before accepting it). */
  async setWebhook(url: string): Promise<void> {
    await this.call('set_webhook', {
      url, send_name: true, send_photo: false,
      event_types: ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started'],
    });
  }

  /** The welcome message answered to `conversation_started` (the body of the callback's response). */
  welcome(text: string): Record<string, unknown> {
    return { sender: { name: this.cfg.senderName }, type: 'text', text };
  }
}
