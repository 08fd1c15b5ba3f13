/**
 * What a patient may send as a file. Only types staff can open safely are kept: pictures, PDF,
 * plain text, Office documents, and e-mail originals. Archives and executables are refused
 * unopened (no zip bomb is ever expanded), as is anything over the size cap; the refusal is noted
 * in the message so staff know something was sent.
 */
import type { AttachmentInfo } from '../domain/types.ts';
import { withFields } from '../domain/with-fields.ts';

export interface IncomingAttachment {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface AttachmentPolicy {
  maxBytes: number;
  allowedTypes: ReadonlySet<string>;
}

export const ALLOWED_ATTACHMENT_TYPES: ReadonlySet<string> = new Set([
  'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/heif', 'image/bmp', 'image/tiff',
  'application/pdf', 'text/plain', 'text/csv', 'message/rfc822',
  'application/msword', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.oasis.opendocument.text', 'application/rtf',
  'audio/amr', 'audio/mpeg', 'audio/ogg', 'audio/mp4', 'video/mp4', 'video/3gpp',
]);

export function attachmentPolicy(config: { attachmentMaxBytes: number }): AttachmentPolicy {
  return { maxBytes: config.attachmentMaxBytes, allowedTypes: ALLOWED_ATTACHMENT_TYPES };
}

export type RefusalReason = 'type_not_allowed' | 'too_large';

/** The bare media type, lower case, without parameters (`Image/JPEG; name=x` -> `image/jpeg`). */
export function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

/** Checks type and declared or actual size; usable before a download when the vendor states both. */
export function screenAttachment(policy: AttachmentPolicy, a: { contentType: string; size: number }): RefusalReason | undefined {
  if (!policy.allowedTypes.has(mediaType(a.contentType))) return 'type_not_allowed';
  if (a.size > policy.maxBytes) return 'too_large';
  return undefined;
}

const REASON_TEXT: Record<RefusalReason, string> = { type_not_allowed: 'type not allowed', too_large: 'file too large' };

/** The line added to the message for a file that was not kept. */
export function refusedNote(filename: string, reason: RefusalReason): string {
  return `[Attachment refused: ${safeFilename(filename)} (${REASON_TEXT[reason]})]`;
}

/** A file name fit for a Content-Disposition header and a message line: no path, no control characters. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200);
  return clean || 'attachment';
}

/** Splits files into those kept and the notes for those refused. */
export function screenAll(policy: AttachmentPolicy, files: IncomingAttachment[]): { kept: IncomingAttachment[]; notes: string[] } {
  const kept: IncomingAttachment[] = [];
  const notes: string[] = [];
  for (const f of files) {
    const reason = screenAttachment(policy, { contentType: f.contentType, size: f.data.length });
    if (reason) notes.push(refusedNote(f.filename, reason));
    else kept.push(withFields(f, { filename: safeFilename(f.filename), contentType: mediaType(f.contentType) }));
  }
  return { kept, notes };
}

export type { AttachmentInfo };
