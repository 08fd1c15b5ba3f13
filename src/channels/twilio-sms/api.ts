/**
 * The Twilio Messages REST calls Bedside makes (Message resource: create, list), with Basic auth.
 * Failures map onto the outbox worker's errors: 429 and 5xx retry (Retry-After honoured), a refused
 * recipient or bad request is permanent, and no answer at all is the ambiguous case.
 */
import { downloadCapped, type Download } from '../capped-download.ts';
import { AmbiguousError, PermanentError, RetryableError } from '../../jobs/errors.ts';

/** Twilio error 21610: the recipient replied STOP and Twilio itself blocks messages to them. */
export const TWILIO_UNSUBSCRIBED = 21610;

export class TwilioOptedOutError extends PermanentError {
  constructor() {
    super(`twilio error ${TWILIO_UNSUBSCRIBED}: recipient unsubscribed`);
  }
}

export interface TwilioConfig { accountSid: string; authToken: string; from: string; apiUrl: string }

export class TwilioApi {
  private readonly auth: string;

  constructor(private readonly config: TwilioConfig, private readonly timeoutMs = 10_000) {
    this.auth = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`;
  }

  /**
   * Media of an incoming MMS. Twilio's credentials go only to Twilio's own hosts (the media URL
   * may redirect to a CDN, which fetch follows without the Authorization header).
   */
  async fetchMedia(url: string, maxBytes: number): Promise<Download> {
    const host = new URL(url).host;
    const ours = host === new URL(this.config.apiUrl).host || host === 'api.twilio.com' || host.endsWith('.twilio.com');
    if (!ours) throw new PermanentError('media url is not on a Twilio host');
    return downloadCapped(url, { headers: { authorization: this.auth }, maxBytes, timeoutMs: this.timeoutMs });
  }

  private url(path: string): string {
    return `${this.config.apiUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(this.config.accountSid)}${path}`;
  }

  private async request(method: string, path: string, form?: URLSearchParams): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method, headers: { authorization: this.auth, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(form ? { body: form.toString() } : {}), signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch {
      throw new AmbiguousError('twilio unreachable');
    }
    const text = await res.text();
    let body: { code?: number; sid?: string } = {};
    try {
      body = text ? JSON.parse(text) as typeof body : {};
    } catch {
      // An HTML error page from a proxy: the status code says enough.
    }
    if (res.ok) return body;
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after'));
      throw new RetryableError('twilio rate limited', Number.isFinite(after) && after > 0 ? after * 1000 : 1000);
    }
    if (res.status >= 500) throw new RetryableError(`twilio http ${res.status}`);
    if (body.code === TWILIO_UNSUBSCRIBED) throw new TwilioOptedOutError();
    throw new PermanentError(`twilio error ${body.code ?? res.status}`);
  }

  async sendMessage(input: { to: string; body: string; statusCallback: string }): Promise<{ sid: string; status: string }> {
    const form = new URLSearchParams({ To: input.to, From: this.config.from, Body: input.body, StatusCallback: input.statusCallback });
    const r = await this.request('POST', '/Messages.json', form) as { sid?: string; status?: string };
    if (!r.sid) throw new RetryableError('twilio answered without a sid');
    return { sid: r.sid, status: r.status ?? 'queued' };
  }

  /** After an ambiguous failure: the sid of a message with this body already sent to `to` today. */
  async findSent(to: string, body: string): Promise<string | undefined> {
    const day = new Date().toISOString().slice(0, 10);
    const query = new URLSearchParams({ To: to, From: this.config.from, 'DateSent>': day, PageSize: '50' });
    const r = await this.request('GET', `/Messages.json?${query.toString()}`) as { messages?: Array<{ sid: string; body: string }> };
    return r.messages?.find((m) => m.body === body)?.sid;
  }
}
