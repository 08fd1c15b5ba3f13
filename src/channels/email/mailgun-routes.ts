/**
 * Mailgun inbound routes: POST /webhooks/mailgun/inbound (Mailgun's parsed form, urlencoded or
 * multipart with attachment-N files) and POST /webhooks/mailgun/inbound/mime (the raw message in
 * `body-mime`; Mailgun posts raw MIME to URLs ending in "mime"). Verified with the signing key,
 * fresh and single-use; then the same path as mail to the SMTP listener.
 * Answers: 200 stored (or a duplicate, or automatic mail), 401 unverified, 400 malformed,
 * 406 not for this practice (Mailgun does not retry a 406), 413 too large, 503 try later.
 */
import { createHash } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, errors } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/types.ts';
import { isPracticeRecipient, oneLine } from './headers.ts';
import { EmailRefused, EmailUnavailable, type EmailInbound } from './inbound.ts';
import { MAILGUN_MAX_AGE_SECONDS, verifyMailgun } from './mailgun-verify.ts';
import { fromMailgunFields, MalformedEmailError, parseRawEmail, type InboundAttachment } from './parse.ts';

export interface MailgunRouteDeps {
  store: Store;
  inbound: EmailInbound;
  signingKey: string;
  practiceAddress: string;
  maxBytes: number;
  log: Logger;
  now?: () => number;
}

const MAX_FILES = 20;
const malformed = () => errors.badRequest('invalid_payload', 'Unsupported Mailgun payload');

interface Form { fields: Record<string, string>; files: InboundAttachment[] }

async function readForm(req: FastifyRequest, maxBytes: number): Promise<Form> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const files: InboundAttachment[] = [];
  if (req.isMultipart()) {
    try {
      for await (const part of req.parts({ limits: { fileSize: maxBytes, files: MAX_FILES, fields: 200, fieldSize: maxBytes, parts: 250 } })) {
        if (part.type === 'file') {
          const data = await part.toBuffer();
          files.push({ filename: oneLine(part.filename || 'attachment', 120) || 'attachment', contentType: part.mimetype.toLowerCase(), data });
        } else {
          if (part.valueTruncated) throw errors.tooLarge();
          fields[part.fieldname] = typeof part.value === 'string' ? part.value : String(part.value);
        }
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      if ((err as { statusCode?: number }).statusCode === 413) throw errors.tooLarge();
      throw malformed();
    }
    return { fields, files };
  }
  if (typeof req.body !== 'string') throw malformed();
  for (const [k, v] of new URLSearchParams(req.body)) fields[k] = v;
  return { fields, files };
}

export async function mailgunRoutes(app: FastifyInstance, deps: MailgunRouteDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  // Form encoding grows a message by up to a third; multipart parts have their own limits.
  const formLimit = Math.ceil(deps.maxBytes * 1.4);
  await app.register(multipart, { limits: { fileSize: deps.maxBytes, files: MAX_FILES } });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: formLimit }, (_req, body, done) => done(null, body));

  const handle = async (req: FastifyRequest, raw: boolean) => {
    const { fields, files } = await readForm(req, deps.maxBytes);
    if (!verifyMailgun({ signingKey: deps.signingKey, timestamp: fields.timestamp, token: fields.token, signature: fields.signature, nowMs: now() })) {
      throw errors.unauthorized();
    }
    const tokenHash = createHash('sha256').update(`mailgun|${fields.token ?? ''}`).digest('hex');
    if (!(await deps.store.email.useWebhookToken(tokenHash, now()))) throw errors.unauthorized();
    // Tokens older than the freshness window can no longer verify: no need to remember them.
    await deps.store.email.pruneWebhookTokens(now() - 2 * MAILGUN_MAX_AGE_SECONDS * 1000);
    try {
      if (fields.recipient !== undefined && !fields.recipient.split(',').some((r) => isPracticeRecipient(r, deps.practiceAddress))) {
        throw new AppError('not_applicable', 406, 'Not a recipient of this practice');
      }
      let mail;
      try {
        if (raw) {
          const mime = fields['body-mime'];
          if (!mime) throw malformed();
          mail = await parseRawEmail(Buffer.from(mime, 'utf8'), fields.sender?.trim().toLowerCase());
        } else {
          if (fields['body-plain'] === undefined && fields['message-headers'] === undefined) throw malformed();
          mail = fromMailgunFields(fields, files);
        }
      } catch (err) {
        if (err instanceof MalformedEmailError) throw malformed();
        throw err;
      }
      const result = await deps.inbound.receive(mail).catch((err: unknown) => {
        if (err instanceof EmailRefused) throw errors.badRequest('invalid_sender', 'The sender is not an e-mail address');
        if (err instanceof EmailUnavailable) throw new AppError('unavailable', 503, 'Not accepting mail yet');
        throw err;
      });
      deps.log.info({ outcome: result.outcome }, 'mailgun inbound accepted');
      return { ok: true };
    } catch (err) {
      // Refused for good: the token stays used. Failed on our side: Mailgun's retry must get through.
      if (!(err instanceof AppError) || err.httpStatus >= 500) await deps.store.email.releaseWebhookToken(tokenHash);
      throw err;
    }
  };

  app.post('/webhooks/mailgun/inbound', (req) => handle(req, false));
  app.post('/webhooks/mailgun/inbound/mime', (req) => handle(req, true));
}
