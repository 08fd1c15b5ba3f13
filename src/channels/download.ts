/**
 * Fetches a patient's media from a vendor, never more than the attachment size cap: a declared size
 * over the cap is refused before any byte is fetched, and an undeclared one is cut off while
 * streaming. Failures say whether trying again may help (the webhook is then answered 503 so the
 * vendor redelivers) or not (the message is stored with a note instead).
 */
export class MediaUnavailable extends Error {
  constructor(readonly reason: 'too_large' | 'gone' | 'temporary') {
    super(`media ${reason}`);
    this.name = 'MediaUnavailable';
  }
}

export interface DownloadedMedia { data: Buffer; contentType: string }

export async function downloadCapped(url: string, opts: { headers?: Record<string, string>; maxBytes: number; timeoutMs: number }): Promise<DownloadedMedia> {
  let res: Response;
  try {
    res = await fetch(url, { headers: opts.headers ?? {}, signal: AbortSignal.timeout(opts.timeoutMs), redirect: 'follow' });
  } catch {
    throw new MediaUnavailable('temporary');
  }
  if (res.status === 429 || res.status >= 500) throw new MediaUnavailable('temporary');
  if (!res.ok || !res.body) throw new MediaUnavailable('gone');
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new MediaUnavailable('too_large');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > opts.maxBytes) throw new MediaUnavailable('too_large');
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof MediaUnavailable) throw err;
    throw new MediaUnavailable('temporary');
  }
  const contentType = (res.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]?.trim() || 'application/octet-stream';
  return { data: Buffer.concat(chunks), contentType };
}

/** A downloaded item on its way into a patient message. */
export interface InboundMedia { filename: string; contentType: string; data: Buffer }

/** Why an item is not in the message, as staff read it. */
export function mediaNote(reason: MediaUnavailable['reason']): string {
  return reason === 'too_large' ? '[Attachment refused: larger than the size limit]' : '[Attachment could not be retrieved from the sender]';
}

/** A file name for an item the vendor sent without one. */
export function fallbackFilename(kind: string, contentType: string): string {
  const ext: Record<string, string> = {
    'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp', 'application/pdf': 'pdf', 'text/plain': 'txt',
  };
  return `${kind}.${ext[contentType] ?? 'bin'}`;
}
