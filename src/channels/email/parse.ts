/**
 * One shape for an inbound e-mail, whichever way it arrived: raw MIME (the SMTP listener, or
 * Mailgun's raw-MIME route) parsed with mailparser, or Mailgun's parsed form fields.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { messageIds, normalAddress, oneLine } from './headers.ts';

export interface InboundAttachment { filename: string; contentType: string; data: Buffer }

export interface InboundEmail {
  messageId: string | undefined;
  fromAddress: string | undefined;
  fromName: string | undefined;
  /** SMTP MAIL FROM ('' for the null return path), when known. */
  envelopeFrom: string | undefined;
  subject: string;
  inReplyTo: string[];
  references: string[];
  contentType: string | undefined;
  header(name: string): string | undefined;
  text: string | undefined;
  html: string | undefined;
  attachments: InboundAttachment[];
  /** For a delivery status notification: the Message-IDs of the messages it reports on, and whether delivery failed. */
  report: { originalIds: string[]; failed: boolean } | undefined;
  /** The message as it came, kept as the original (when it came whole). */
  raw: Buffer | undefined;
}

export class MalformedEmailError extends Error {
  constructor(reason: string) {
    super(`malformed e-mail: ${reason}`);
    this.name = 'MalformedEmailError';
  }
}

function headerLookup(lines: ReadonlyArray<{ key: string; line: string }>): (name: string) => string | undefined {
  const map = new Map<string, string>();
  for (const { key, line } of lines) {
    const k = key.toLowerCase();
    if (!map.has(k)) map.set(k, line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim());
  }
  return (name) => map.get(name.toLowerCase());
}

const REPORT_PARTS = new Set(['message/rfc822', 'text/rfc822-headers', 'message/rfc822-headers', 'message/delivery-status', 'message/global', 'message/global-headers']);

function deliveryReport(mail: ParsedMail): InboundEmail['report'] {
  const parts = mail.attachments.filter((a) => REPORT_PARTS.has(a.contentType.toLowerCase()));
  // text/rfc822-headers may come out as body text rather than as an attachment.
  const text = [...parts.map((a) => a.content.subarray(0, 64 * 1024).toString('utf8')), (mail.text ?? '').slice(0, 64 * 1024)].join('\n');
  const originalIds = [...text.matchAll(/^message-id:\s*(<[^<>\s]{1,250}>)/gim)].map((m) => m[1] as string);
  const failed = /^action:\s*failed/im.test(text) || (!/^action:/im.test(text) && /^status:\s*5\./im.test(text));
  return { originalIds: [...new Set([...originalIds, ...messageIds(mail.inReplyTo)])], failed };
}

/** Parses raw RFC 5322 bytes. Throws MalformedEmailError for something that is not a message. */
export async function parseRawEmail(raw: Buffer, envelopeFrom: string | undefined): Promise<InboundEmail> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true, maxHtmlLengthToParse: 2 * 1024 * 1024 });
  } catch {
    throw new MalformedEmailError('unparseable');
  }
  if (mail.headerLines.length === 0) throw new MalformedEmailError('no headers');
  const header = headerLookup(mail.headerLines);
  const from = mail.from?.value[0];
  const contentType = header('content-type');
  const isReport = (contentType ?? '').toLowerCase().startsWith('multipart/report');
  return {
    messageId: messageIds(mail.messageId)[0],
    fromAddress: normalAddress(from?.address),
    fromName: from?.name ? oneLine(from.name, 120) || undefined : undefined,
    envelopeFrom,
    subject: oneLine(mail.subject ?? '', 250),
    inReplyTo: messageIds(mail.inReplyTo),
    references: messageIds(mail.references),
    contentType,
    header,
    text: mail.text,
    html: typeof mail.html === 'string' ? mail.html : undefined,
    attachments: isReport ? [] : mail.attachments.filter((a) => !a.related || a.contentDisposition === 'attachment').map((a) => ({
      filename: oneLine(a.filename ?? 'attachment', 120) || 'attachment', contentType: a.contentType.toLowerCase(), data: a.content,
    })),
    report: isReport ? deliveryReport(mail) : undefined,
    raw,
  };
}

/** Mailgun's parsed route POST: form fields plus attachment-N files. */
export function fromMailgunFields(fields: Record<string, string>, files: InboundAttachment[]): InboundEmail {
  let headerList: Array<[string, string]> = [];
  try {
    const parsed = JSON.parse(fields['message-headers'] ?? '[]') as unknown;
    if (Array.isArray(parsed)) headerList = parsed.filter((p): p is [string, string] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string');
  } catch {
    throw new MalformedEmailError('message-headers is not JSON');
  }
  const header = headerLookup(headerList.map(([k, v]) => ({ key: k, line: `${k}: ${v}` })));
  const fromField = fields.from ?? header('from') ?? '';
  const address = /<([^<>]+)>\s*$/.exec(fromField)?.[1] ?? fromField;
  const name = /^\s*"?([^"<]*?)"?\s*</.exec(fromField)?.[1];
  const contentType = header('content-type');
  const isReport = (contentType ?? '').toLowerCase().startsWith('multipart/report');
  return {
    messageId: messageIds(fields['Message-Id'] ?? header('message-id'))[0],
    fromAddress: normalAddress(address),
    fromName: name ? oneLine(name, 120) || undefined : undefined,
    envelopeFrom: fields.sender !== undefined ? fields.sender.trim().toLowerCase() : undefined,
    subject: oneLine(fields.subject ?? header('subject') ?? '', 250),
    inReplyTo: messageIds(header('in-reply-to')),
    references: messageIds(header('references')),
    contentType,
    header,
    text: fields['body-plain'],
    html: fields['body-html'],
    attachments: files,
    report: isReport ? { originalIds: messageIds(header('in-reply-to')), failed: true } : undefined,
    raw: undefined,
  };
}
