/**
 * Fetches a file a vendor holds for us (MMS media, Messenger and WhatsApp attachments) without
 * ever holding more than the size cap in memory: the body is read in chunks and the download is
 * abandoned as soon as it passes the cap, whatever Content-Length claimed.
 */
import { PermanentError, RetryableError } from '../jobs/errors.ts';

export type Download = { ok: true; data: Buffer; contentType: string } | { ok: false; reason: 'too_large' };

export async function downloadCapped(url: string, opts: { headers?: Record<string, string>; maxBytes: number; timeoutMs: number }): Promise<Download> {
  let res: Response;
  try {
    res = await fetch(url, { headers: opts.headers ?? {}, signal: AbortSignal.timeout(opts.timeoutMs), redirect: 'follow' });
  } catch {
    throw new RetryableError('media download failed');
  }
  if (res.status === 429 || res.status >= 500) {
    await res.body?.cancel();
    throw new RetryableError(`media download answered ${res.status}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new PermanentError(`media download answered ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await res.body?.cancel();
    return { ok: false, reason: 'too_large' };
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = res.body?.getReader();
  try {
    for (let r = await reader?.read(); r && !r.done; r = await reader?.read()) {
      total += r.value.length;
      if (total > opts.maxBytes) {
        await reader?.cancel();
        return { ok: false, reason: 'too_large' };
      }
      chunks.push(Buffer.from(r.value));
    }
  } catch {
    throw new RetryableError('media download interrupted');
  }
  return { ok: true, data: Buffer.concat(chunks), contentType: res.headers.get('content-type') ?? 'application/octet-stream' };
}
