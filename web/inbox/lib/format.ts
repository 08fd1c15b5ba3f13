/** Small text helpers shared by the screens. */
import type { Channel, ConversationSummary, Role } from '../api-types.ts';

export const CHANNEL_LABELS: Record<Channel, string> = {
  web: 'Web chat',
  sms: 'SMS',
  email: 'Email',
  messenger: 'Messenger',
  whatsapp: 'WhatsApp',
  viber: 'Viber',
};

export function channelLabel(channel: string): string {
  return (CHANNEL_LABELS as Record<string, string>)[channel] ?? channel;
}

export const ROLE_LABELS: Record<Role, string> = { agent: 'Agent', admin: 'Admin', owner: 'Owner' };

/** The contact's name, or "Visitor 7F3K" for an anonymous one. */
export function contactName(c: Pick<ConversationSummary, 'ref' | 'contact'>): string {
  const name = c.contact.displayName?.trim();
  return name || `Visitor ${c.ref}`;
}

/** "Jane Q. Doe" -> "JD"; "cher" -> "C"; "" -> "?". */
export function initials(name: string | null | undefined): string {
  const words = (name ?? '').trim().split(/\s+/).filter((w) => /\p{L}|\p{N}/u.test(w));
  if (words.length === 0) return '?';
  const first = [...words[0]!][0] ?? '';
  const last = words.length > 1 ? [...words[words.length - 1]!][0] ?? '' : '';
  return (first + last).toUpperCase();
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A TOTP secret for typing by hand: "JBSW Y3DP EHPK 3PXP". */
export function groupSecret(secret: string, size = 4): string {
  const clean = secret.replace(/[\s-]/g, '').toUpperCase();
  const groups: string[] = [];
  for (let i = 0; i < clean.length; i += size) groups.push(clean.slice(i, i + size));
  return groups.join(' ');
}

/** A data: URL for an SVG document (UTF-8 safe base64, so it survives any character). */
export function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `data:image/svg+xml;base64,${btoa(bin)}`;
}

/** The text file offered for download after enrolment. */
export function recoveryCodesText(codes: string[], account: { email: string; orgName: string }, createdAt: Date): string {
  return [
    `Bedside recovery codes for ${account.email} (${account.orgName})`,
    `Created ${createdAt.toISOString().slice(0, 10)}`,
    '',
    'Each code signs you in once when you cannot use your authenticator app.',
    'Keep them somewhere safe and private.',
    '',
    ...codes,
    '',
  ].join('\n');
}

/** Only digits, at most `max` of them (for one-time code fields, tolerant of pasted spaces). */
export function digitsOnly(value: string, max = 6): string {
  return value.replace(/\D/g, '').slice(0, max);
}

/** A single line preview of a message body. */
export function oneLine(text: string, max = 140): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * A random client id for a reply (a UUID). crypto.randomUUID exists only on secure origins; a
 * practice reaching Bedside over plain http on its LAN still gets one from getRandomValues.
 */
export function newClientId(c: Pick<Crypto, 'getRandomValues'> & { randomUUID?: () => string } = crypto): string {
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The attestation kind of a Slack settings answer: the server sends a record `{kind, byStaffId, at}`;
 * a bare "baa" / "no_phi" string is accepted too.
 */
export function attestationKind(a: unknown): 'baa' | 'no_phi' | null {
  const kind = typeof a === 'string' ? a : a && typeof a === 'object' ? (a as { kind?: unknown }).kind : null;
  return kind === 'baa' || kind === 'no_phi' ? kind : null;
}

/** "12 KB", "3.4 MB": how big a file is, to the precision a person needs. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const DELIVERY_STATUS: Record<string, string> = {
  queued: 'Queued', accepted: 'Queued', sending: 'Sending', sent: 'Sent', delivered: 'Delivered', read: 'Read',
  undelivered: 'Not delivered', failed: 'Failed', refused: 'Not sent',
};

const DELIVERY_REASON: Record<string, string> = {
  opted_out: 'the patient opted out (STOP)',
  no_phone_number: 'no phone number on file',
  outside_24h_window: 'more than 24 hours since the patient last wrote: send an approved template',
  unsubscribed: 'the patient unsubscribed',
};

/** What staff read next to an outbound message: its delivery state and, when it failed, why. */
export function deliveryText(status: string, error: string | null): string {
  const label = DELIVERY_STATUS[status] ?? status;
  if (!error) return label;
  return `${label}: ${DELIVERY_REASON[error] ?? `error ${error}`}`;
}
