/**
 * Message-IDs, subjects and the other header values Bedside writes. Nothing that came from a
 * sender goes into an outbound header without losing its line breaks (no header injection).
 */
import { createHmac } from 'node:crypto';

/** One header line's worth of text: control characters (CR, LF, NUL...) become spaces. */
export function oneLine(value: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, max);
}

/** The `<id@host>` tokens of a Message-ID, In-Reply-To or References value. */
export function messageIds(value: string | string[] | undefined, limit = 100): string[] {
  const text = Array.isArray(value) ? value.join(' ') : value ?? '';
  const ids = text.match(/<[^<>\s]{1,250}>/g) ?? [];
  return ids.slice(-limit);
}

/** The Message-ID of a staff message: the same on every attempt, unguessable from outside. */
export function outboundMessageId(secret: string, orgId: string, messageId: number, domain: string): string {
  const tag = createHmac('sha256', secret).update(`email-message-id|${orgId}|${messageId}`).digest('base64url').slice(0, 24);
  return `<bedside.${messageId}.${tag}@${domain}>`;
}

/** The idempotency key of an inbound e-mail: a keyed hash of its Message-ID (or of its bytes). */
export function inboundSourceId(secret: string, messageId: string | undefined, raw: Buffer | string): string {
  const mac = createHmac('sha256', secret);
  mac.update(messageId ? `mid|${messageId.toLowerCase()}` : 'raw|').update(messageId ? '' : raw);
  return `email:${mac.digest('hex').slice(0, 40)}`;
}

const PREFIX = /^\s*((re|fwd?|aw|wg|sv|vs|antw|réf|tr|rv)\s*(\[\d+\])?\s*:\s*)+/i;

/** The subject without its Re:/Fwd: prefixes, on one line. */
export function baseSubject(subject: string | null | undefined): string {
  return oneLine(subject ?? '').replace(PREFIX, '').trim();
}

/** The subject of a reply: "Re: " once, whatever the patient's client added. */
export function replySubject(subject: string | null | undefined, fallback: string): string {
  const base = baseSubject(subject);
  return `Re: ${base || oneLine(fallback)}`;
}

/** Address part of an e-mail address, lower-cased; undefined when it is not one. */
export function normalAddress(value: string | undefined | null): string | undefined {
  const v = (value ?? '').trim().toLowerCase();
  return /^[^\s@<>"(),;:]+@[^\s@<>"(),;:]+\.[a-z0-9-]{2,}$/i.test(v) && v.length <= 254 ? v : undefined;
}

/** Whether mail to `recipient` is for the practice: its address, or its address with a +tag. */
export function isPracticeRecipient(recipient: string, practiceAddress: string): boolean {
  const r = normalAddress(recipient);
  if (!r) return false;
  const [local, domain] = practiceAddress.toLowerCase().split('@') as [string, string];
  const [rLocal, rDomain] = r.split('@') as [string, string];
  return rDomain === domain && (rLocal === local || rLocal.startsWith(`${local}+`));
}
