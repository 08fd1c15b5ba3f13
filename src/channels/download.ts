/**
 * Fetches a patient's media from a vendor, never more than the attachment size cap (see
 * capped-download.ts), for a webhook that must answer now. Failures say whether trying again may help (the webhook is then answered 503 so the
 * vendor redelivers) or not (the message is stored with a note instead).
 */
import { mediaType, refusedNote, type IncomingAttachment } from '../features/attachments.ts';
import { PermanentError } from '../jobs/errors.ts';
import { downloadCapped as fetchCapped, type Download } from './capped-download.ts';

export class MediaUnavailable extends Error {
  constructor(readonly reason: 'too_large' | 'gone' | 'temporary') {
    super(`media ${reason}`);
    this.name = 'MediaUnavailable';
  }
}

export interface DownloadedMedia { data: Buffer; contentType: string }

export async function downloadCapped(url: string, opts: { headers?: Record<string, string>; maxBytes: number; timeoutMs: number }): Promise<DownloadedMedia> {
  let got: Download;
  try {
    got = await fetchCapped(url, opts);
  } catch (err) {
    throw new MediaUnavailable(err instanceof PermanentError ? 'gone' : 'temporary');
  }
  if (!got.ok) throw new MediaUnavailable('too_large');
  return { data: got.data, contentType: mediaType(got.contentType) || 'application/octet-stream' };
}

/** A downloaded item on its way into a patient message (screened again by the attachments core). */
export type InboundMedia = IncomingAttachment;

/** Why an item is not in the message, as staff read it. */
export function mediaNote(reason: MediaUnavailable['reason'], filename = 'attachment'): string {
  return reason === 'too_large' ? refusedNote(filename, 'too_large') : '[Attachment could not be retrieved from the sender]';
}

/** A file name for an item the vendor sent without one. */
export function fallbackFilename(kind: string, contentType: string): string {
  const ext: Record<string, string> = {
    'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp', 'application/pdf': 'pdf', 'text/plain': 'txt',
  };
  return `${kind}.${ext[contentType] ?? 'bin'}`;
}
