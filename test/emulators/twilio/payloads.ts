/**
 * Builders for the shapes Twilio puts on the wire: the Message resource (REST API 2010-04-01),
 * the REST error body, and the form parameters of the incoming-message webhook and of status
 * callbacks. Field names and formats follow Twilio's published references (see README.md).
 */
import { randomBytes } from 'node:crypto';

export const API_VERSION = '2010-04-01';

export type MessageStatus =
  | 'accepted'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'received';

export type MessageDirection = 'inbound' | 'outbound-api' | 'outbound-reply';

/** A Message resource as the REST API returns it (keys in the order Twilio's examples use). */
export interface MessageResource {
  account_sid: string;
  api_version: string;
  body: string;
  date_created: string;
  date_sent: string | null;
  date_updated: string;
  direction: MessageDirection;
  error_code: number | null;
  error_message: string | null;
  from: string | null;
  messaging_service_sid: string | null;
  num_media: string;
  num_segments: string;
  price: string | null;
  price_unit: string;
  sid: string;
  status: MessageStatus;
  subresource_uris: { media: string };
  to: string;
  uri: string;
}

/** The REST API's error body (`RestException`), e.g. `{code: 21211, message, more_info, status: 400}`. */
export interface RestError {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

/** Short descriptions of the error codes the emulator produces (titles of Twilio's error pages). */
export const ERROR_MESSAGES: Record<number, string> = {
  20003: 'Authenticate',
  20404: 'The requested resource was not found',
  20429: 'Too Many Requests',
  20500: 'Internal Server Error',
  20503: 'Service Unavailable',
  21211: "Invalid 'To' Phone Number",
  21602: 'Message body is required.',
  21603: "A 'From' phone number is required.",
  21604: "A 'To' phone number is required.",
  21610: 'Attempt to send to unsubscribed recipient',
  21617: 'The concatenated message body exceeds the 1600 character limit.',
  21619: 'A Message Body, Media URL or Content SID is required',
  30003: 'Unreachable destination handset',
  30005: 'Unknown destination handset',
  30006: 'Landline or unreachable carrier',
  30007: 'Message filtered',
  30008: 'Unknown error',
};

export function restError(code: number, status: number, message?: string): RestError {
  return {
    code,
    message: message ?? ERROR_MESSAGES[code] ?? `Error ${code}`,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  };
}

/** `SM` / `MM` / `MG` / `ME` ... followed by 32 lowercase hex digits. */
export function newSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/** RFC 2822 in GMT, as Twilio writes dates: `Thu, 30 Jul 2015 20:12:31 +0000`. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** `YYMMDDhhmm` (UTC), the format of `RawDlrDoneDate` in delivered / undelivered status callbacks. */
export function rawDlrDoneDate(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCFullYear() % 100)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}`;
}

/** E.164 (`+` then up to 15 digits), optionally behind a channel prefix such as `whatsapp:`. */
export function isValidAddress(to: string): boolean {
  return /^(?:whatsapp:)?\+[1-9]\d{1,14}$/.test(to);
}

// GSM-7 default alphabet (3GPP TS 23.038) and its extension table, whose characters take two septets.
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXTENDED = new Set('\f^{}\\[~]|€');

/**
 * Number of SMS segments for a body: GSM-7 bodies hold 160 septets in one segment and 153 per
 * segment when concatenated; anything else is UCS-2 with 70 / 67 UTF-16 code units.
 */
export function segmentCount(body: string): number {
  if (body.length === 0) return 1;
  let septets = 0;
  let gsm = true;
  for (const ch of body) {
    if (GSM7_BASIC.has(ch)) septets += 1;
    else if (GSM7_EXTENDED.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return septets <= 160 ? 1 : Math.ceil(septets / 153);
  return body.length <= 70 ? 1 : Math.ceil(body.length / 67);
}

export function messageUri(accountSid: string, sid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}.json`;
}

export function newMessageResource(input: {
  accountSid: string;
  sid: string;
  direction: MessageDirection;
  status: MessageStatus;
  from: string | null;
  to: string;
  body: string;
  numMedia: number;
  numSegments: number;
  messagingServiceSid: string | null;
  now: Date;
  dateSent?: Date;
}): MessageResource {
  const created = rfc2822(input.now);
  return {
    account_sid: input.accountSid,
    api_version: API_VERSION,
    body: input.body,
    date_created: created,
    date_sent: input.dateSent ? rfc2822(input.dateSent) : null,
    date_updated: created,
    direction: input.direction,
    error_code: null,
    error_message: null,
    from: input.from,
    messaging_service_sid: input.messagingServiceSid,
    num_media: String(input.numMedia),
    num_segments: String(input.numSegments),
    price: null,
    price_unit: 'USD',
    sid: input.sid,
    status: input.status,
    subresource_uris: { media: `/${API_VERSION}/Accounts/${input.accountSid}/Messages/${input.sid}/Media.json` },
    to: input.to,
    uri: messageUri(input.accountSid, input.sid),
  };
}

export interface InboundGeo {
  fromCity?: string;
  fromState?: string;
  fromZip?: string;
  fromCountry?: string;
  toCity?: string;
  toState?: string;
  toZip?: string;
  toCountry?: string;
}

/**
 * The form parameters of Twilio's request to the incoming-message webhook ("TwiML for Programmable
 * Messaging": MessageSid, SmsSid, SmsMessageSid, AccountSid, MessagingServiceSid, From, To, Body,
 * NumMedia, NumSegments, MediaContentType{N}, MediaUrl{N}, the From/To geographic fields,
 * ApiVersion and SmsStatus).
 */
export function inboundParams(input: {
  accountSid: string;
  messageSid: string;
  from: string;
  to: string;
  body: string;
  media: Array<{ url: string; contentType: string }>;
  messagingServiceSid?: string;
  geo: InboundGeo;
}): Record<string, string> {
  const g = input.geo;
  const params: Record<string, string> = {
    ToCountry: g.toCountry ?? '',
    ToState: g.toState ?? '',
    SmsMessageSid: input.messageSid,
    NumMedia: String(input.media.length),
    ToCity: g.toCity ?? '',
    FromZip: g.fromZip ?? '',
    SmsSid: input.messageSid,
    FromState: g.fromState ?? '',
    SmsStatus: 'received',
    FromCity: g.fromCity ?? '',
    Body: input.body,
    FromCountry: g.fromCountry ?? '',
    To: input.to,
    ...(input.messagingServiceSid !== undefined ? { MessagingServiceSid: input.messagingServiceSid } : {}),
    ToZip: g.toZip ?? '',
    NumSegments: String(segmentCount(input.body)),
    MessageSid: input.messageSid,
    AccountSid: input.accountSid,
    From: input.from,
    ApiVersion: API_VERSION,
  };
  input.media.forEach((m, i) => {
    params[`MediaContentType${i}`] = m.contentType;
    params[`MediaUrl${i}`] = m.url;
  });
  return params;
}

/**
 * The form parameters of a status callback: "a subset of the standard request properties, and
 * additionally MessageStatus and ErrorCode"; RawDlrDoneDate (YYMMDDhhmm) on delivered and
 * undelivered SMS/MMS.
 */
export function statusCallbackParams(msg: MessageResource, now: Date): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: msg.account_sid,
    ApiVersion: msg.api_version,
    From: msg.from ?? '',
    MessageSid: msg.sid,
    MessageStatus: msg.status,
    ...(msg.messaging_service_sid !== null ? { MessagingServiceSid: msg.messaging_service_sid } : {}),
    SmsSid: msg.sid,
    SmsStatus: msg.status,
    To: msg.to,
  };
  if (msg.error_code !== null) params.ErrorCode = String(msg.error_code);
  if (msg.status === 'delivered' || msg.status === 'undelivered') params.RawDlrDoneDate = rawDlrDoneDate(now);
  return params;
}

/** The `<Message>` verbs of a TwiML response: body text plus the documented `to`, `from`, `statusCallback` attributes. */
export interface TwimlMessage {
  body: string;
  to?: string;
  from?: string;
  statusCallback?: string;
}

function xmlUnescape(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-fA-F]+);/g, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&amp;/g, '&');
}

/** Extracts `<Message>` verbs from a TwiML `<Response>`; an empty `<Response/>` yields none. */
export function parseTwimlMessages(xml: string): TwimlMessage[] {
  if (!/<Response[\s>/]/.test(xml)) return [];
  const out: TwimlMessage[] = [];
  const re = /<Message(\s[^>]*)?(?:\/>|>([\s\S]*?)<\/Message>)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const attrs: Record<string, string> = {};
    for (const a of (m[1] ?? '').matchAll(/([A-Za-z]+)\s*=\s*"([^"]*)"/g)) attrs[a[1]!] = xmlUnescape(a[2]!);
    const inner = m[2] ?? '';
    const bodyTag = /<Body>([\s\S]*?)<\/Body>/.exec(inner);
    const body = xmlUnescape((bodyTag ? bodyTag[1]! : inner.replace(/<Media>[\s\S]*?<\/Media>/g, '')).trim());
    out.push({
      body,
      ...(attrs.to !== undefined ? { to: attrs.to } : {}),
      ...(attrs.from !== undefined ? { from: attrs.from } : {}),
      ...(attrs.statusCallback !== undefined ? { statusCallback: attrs.statusCallback } : {}),
    });
  }
  return out;
}
