/**
 * Mailgun's inbound route POSTs, as Mailgun sends them ("Receiving messages via HTTP through a
 * forward() action"): the parsed form (urlencoded, or multipart/form-data with attachment-N files)
 * or the raw form with `body-mime` for a URL ending in "mime"; both signed with `timestamp`,
 * `token` (50 random characters) and `signature` = hex HMAC-SHA256(signing key, timestamp + token).
 */
import { createHmac, randomBytes } from 'node:crypto';

export function mailgunSign(signingKey: string, timestamp: string, token: string): string {
  return createHmac('sha256', signingKey).update(timestamp + token).digest('hex');
}

export interface MailgunMessage {
  from: string;
  recipient: string;
  subject: string;
  text: string;
  messageId: string;
  headers?: Array<[string, string]>;
  attachments?: Array<{ filename: string; contentType: string; data: Buffer }>;
}

export interface SignOptions { signingKey: string; timestamp?: number; token?: string; signature?: string }

export interface Posted { status: number; body: string; token: string }

function signature(o: SignOptions): Record<string, string> {
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const token = o.token ?? randomBytes(25).toString('hex');
  return { timestamp, token, signature: o.signature ?? mailgunSign(o.signingKey, timestamp, token) };
}

/** The parsed form, multipart when there are attachments (as Mailgun does). */
export async function postParsed(url: string, m: MailgunMessage, o: SignOptions): Promise<Posted> {
  const sig = signature(o);
  const address = /<([^>]+)>/.exec(m.from)?.[1] ?? m.from;
  const headers: Array<[string, string]> = [
    ['From', m.from], ['To', m.recipient], ['Subject', m.subject], ['Message-Id', m.messageId], ...(m.headers ?? []),
  ];
  const fields: Record<string, string> = {
    recipient: m.recipient, sender: address, from: m.from, subject: m.subject, 'body-plain': m.text, 'stripped-text': m.text,
    'message-headers': JSON.stringify(headers), 'Message-Id': m.messageId, ...sig,
  };
  let res: Response;
  if (m.attachments?.length) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('attachment-count', String(m.attachments.length));
    m.attachments.forEach((a, i) => form.append(`attachment-${i + 1}`, new Blob([new Uint8Array(a.data)], { type: a.contentType }), a.filename));
    res = await fetch(url, { method: 'POST', body: form });
  } else {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  }
  return { status: res.status, body: await res.text(), token: sig.token as string };
}

/** The raw form: the whole message in `body-mime`. */
export async function postMime(url: string, m: { recipient: string; sender: string; from: string; subject: string; mime: string }, o: SignOptions): Promise<Posted> {
  const sig = signature(o);
  const form = new FormData();
  for (const [k, v] of Object.entries({ recipient: m.recipient, sender: m.sender, from: m.from, subject: m.subject, 'body-mime': m.mime, ...sig })) form.append(k, v);
  const res = await fetch(url, { method: 'POST', body: form });
  return { status: res.status, body: await res.text(), token: sig.token as string };
}
