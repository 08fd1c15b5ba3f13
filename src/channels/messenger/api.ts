/**
 * Messenger Send API: `POST /me/messages` with the page token, `messaging_type: RESPONSE` (a reply
 * inside the 24-hour standard messaging window). Attachments arrive as CDN links needing no token.
 */
import { RetryableError } from '../../jobs/errors.ts';
import type { GraphApi } from '../meta/graph.ts';
import { sendResponseSchema } from './schema.ts';

/** Graph error 10 / 2018278: the message is outside the allowed window. */
export const MESSENGER_OUTSIDE_WINDOW = { code: 10, subcode: 2018278 };
/** Longest text the Send API accepts. */
export const MESSENGER_MAX_TEXT = 2000;

export class MessengerApi {
  constructor(private readonly graph: GraphApi, private readonly cfg: { pageId: string; pageToken: string }) {}

  async sendText(psid: string, text: string): Promise<string> {
    const r = sendResponseSchema.safeParse(await this.graph.request('POST', '/me/messages', this.cfg.pageToken, {
      recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text },
    }));
    if (!r.success) throw new RetryableError('messenger answered without a message id');
    return r.data.message_id;
  }
}
