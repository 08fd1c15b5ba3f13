/**
 * WhatsApp Cloud API calls: send a text or an approved template (`POST /{phone-number-id}/messages`),
 * and fetch a patient's media (`GET /{media-id}` for a short-lived URL, then a download with the
 * same bearer token).
 */
import { RetryableError } from '../../jobs/errors.ts';
import { downloadCapped, MediaUnavailable, type DownloadedMedia } from '../download.ts';
import type { GraphApi } from '../meta/graph.ts';
import { GraphError } from '../meta/graph.ts';
import { waMediaInfoSchema, waSendResponseSchema } from './schema.ts';
import type { TemplateSpec } from './template.ts';

/** "Re-engagement message": more than 24 hours since the customer last wrote. */
export const WA_OUTSIDE_WINDOW = 131047;

export class WhatsAppApi {
  constructor(private readonly graph: GraphApi, private readonly cfg: { phoneNumberId: string; token: string }, private readonly timeoutMs = 10_000) {}

  private async send(body: Record<string, unknown>): Promise<string> {
    const r = waSendResponseSchema.safeParse(await this.graph.request('POST', `/${this.cfg.phoneNumberId}/messages`, this.cfg.token, {
      messaging_product: 'whatsapp', recipient_type: 'individual', ...body,
    }));
    const id = r.success ? r.data.messages[0]?.id : undefined;
    if (!id) throw new RetryableError('whatsapp answered without a message id');
    return id;
  }

  sendText(to: string, text: string): Promise<string> {
    return this.send({ to, type: 'text', text: { preview_url: false, body: text } });
  }

  sendTemplate(to: string, t: TemplateSpec): Promise<string> {
    return this.send({
      to, type: 'template',
      template: {
        name: t.name, language: { code: t.language },
        ...(t.parameters.length ? { components: [{ type: 'body', parameters: t.parameters.map((text) => ({ type: 'text', text })) }] } : {}),
      },
    });
  }

  /** The media's bytes, refused before download when its declared size is over the cap. */
  async media(mediaId: string, maxBytes: number): Promise<DownloadedMedia> {
    let info: unknown;
    try {
      info = await this.graph.request('GET', `/${encodeURIComponent(mediaId)}`, this.cfg.token);
    } catch (err) {
      throw new MediaUnavailable(err instanceof GraphError ? 'gone' : 'temporary');
    }
    const parsed = waMediaInfoSchema.safeParse(info);
    if (!parsed.success) throw new MediaUnavailable('gone');
    const size = Number(parsed.data.file_size);
    if (Number.isFinite(size) && size > maxBytes) throw new MediaUnavailable('too_large');
    const got = await downloadCapped(parsed.data.url, { headers: { authorization: `Bearer ${this.cfg.token}` }, maxBytes, timeoutMs: this.timeoutMs });
    return { data: got.data, contentType: parsed.data.mime_type?.split(';')[0]?.trim() || got.contentType };
  }
}
