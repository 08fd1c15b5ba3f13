/**
 * An inbound e-mail, however it arrived, becomes a patient message: threaded by its Message-ID,
 * trimmed of quoted history for staff, stored once (its Message-ID is the idempotency key).
 * Bounces mark the reply they report on as failed; auto-replies open nothing and get no answer.
 */
import type { Inbox } from '../../domain/types.ts';
import type { ConversationService } from '../../features/conversations.ts';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/types.ts';
import { classifyAutomatic } from './automatic.ts';
import { baseSubject, inboundSourceId, messageIds } from './headers.ts';
import type { InboundEmail } from './parse.ts';
import { htmlToText, trimReply } from './trim.ts';

/** What staff see of one e-mail at most; the original is kept whole beside it. */
export const MAX_VISIBLE_CHARS = 20_000;

/** Refused for good: the sender gets a 5xx (SMTP) or 4xx (HTTP). */
export class EmailRefused extends Error {
  constructor(readonly reason: 'no_sender') {
    super(`e-mail refused: ${reason}`);
    this.name = 'EmailRefused';
  }
}

/** Cannot be taken now (no e-mail inbox yet): the sender should try again. */
export class EmailUnavailable extends Error {
  constructor() {
    super('no e-mail inbox');
    this.name = 'EmailUnavailable';
  }
}

export interface EmailInboundDeps {
  store: Store;
  conversations: ConversationService;
  /** Keys the Message-ID hashes used as idempotency keys. */
  secret: string;
  practiceAddress: string;
  inbox(): Promise<Inbox | undefined>;
  /** The attachment size cap: an original larger than this is not kept beside the message. */
  attachmentMaxBytes: number;
  log: Logger;
}

export type InboundOutcome =
  | { outcome: 'stored' | 'duplicate'; conversationId: string; messageId: number }
  | { outcome: 'automatic'; kind: string };

export class EmailInbound {
  constructor(private readonly deps: EmailInboundDeps) {}

  async receive(mail: InboundEmail): Promise<InboundOutcome> {
    const { store, log } = this.deps;
    const inbox = await this.deps.inbox();
    if (!inbox) throw new EmailUnavailable();
    const orgId = inbox.orgId;

    const kind = classifyAutomatic({ header: mail.header, contentType: mail.contentType, envelopeFrom: mail.envelopeFrom, fromAddress: mail.fromAddress })
      // Our own address writing to us is a loop, never a patient.
      ?? (mail.fromAddress === this.deps.practiceAddress ? 'auto_reply' : undefined);
    if (kind) {
      if (kind === 'bounce') await this.bounce(orgId, mail);
      log.info({ kind }, 'automatic e-mail ignored');
      return { outcome: 'automatic', kind };
    }
    const from = mail.fromAddress;
    if (!from) throw new EmailRefused('no_sender');

    const threaded = await store.email.findByMessageIds(orgId, [...mail.inReplyTo, ...mail.references]);
    const earlierSubject = threaded
      ? (await store.email.thread(orgId, threaded.conversationId)).filter((e) => e.subject !== null).at(-1)?.subject
      : undefined;
    const subject = baseSubject(mail.subject);
    const source = mail.text?.trim() ? mail.text : mail.html ? htmlToText(mail.html) : '';
    let text = trimReply(source);
    if (text.length > MAX_VISIBLE_CHARS) text = `${text.slice(0, MAX_VISIBLE_CHARS)}\n[…] (the full e-mail is kept as the original)`;
    // Staff see the subject when the thread starts and whenever the patient changes it.
    const showSubject = subject && (earlierSubject === undefined || baseSubject(earlierSubject) !== subject);
    const body = [showSubject ? `Subject: ${subject}` : '', text].filter(Boolean).join('\n\n') || '[Empty e-mail]';

    const sourceId = inboundSourceId(this.deps.secret, mail.messageId, mail.raw ?? `${from}\n${mail.subject}\n${source}`);
    const { message, conversation, created } = await this.deps.conversations.receivePatientMessage({
      inbox, identity: { channel: 'email', externalId: from }, body, sourceId,
      profile: { email: from, ...(mail.fromName ? { displayName: mail.fromName } : {}) },
      linkByAddress: { email: from },
      // Every file goes through the practice's attachment policy (archives are refused unopened);
      // the message as it came is kept beside it, so trimming never loses anything.
      attachments: [
        ...mail.attachments,
        ...(mail.raw && mail.raw.length <= this.deps.attachmentMaxBytes ? [{ filename: 'original.eml', contentType: 'message/rfc822', data: mail.raw }] : []),
      ],
    });
    if (mail.messageId) {
      // Also on a duplicate: a crash between the message and this row must not leave it unthreaded.
      await store.email.recordMessageId(orgId, conversation.id, { header: mail.messageId, direction: 'in', subject: mail.subject || null, messageId: message.id }, Date.now());
    }
    log.info({ messageId: message.id, conversationId: conversation.id, duplicate: !created, threaded: threaded !== undefined }, 'e-mail received');
    return { outcome: created ? 'stored' : 'duplicate', conversationId: conversation.id, messageId: message.id };
  }

  /** A delivery status notification: the staff reply it names did not reach the patient. */
  private async bounce(orgId: string, mail: InboundEmail): Promise<void> {
    const report = mail.report ?? {
      // A plain-text bounce: the original's headers are usually quoted in the text.
      originalIds: [...messageIds(mail.inReplyTo), ...[...(mail.text ?? '').matchAll(/^\s*message-id:\s*(<[^<>\s]{1,250}>)/gim)].map((m) => m[1] as string)],
      failed: true,
    };
    if (!report.failed) return;
    for (const id of report.originalIds.slice(0, 10)) {
      const hit = await this.deps.store.email.findByMessageIds(orgId, [id]);
      if (hit?.direction !== 'out' || hit.messageId === null) continue;
      const message = await this.deps.store.getMessage(orgId, hit.messageId);
      if (message && message.deliveryStatus !== 'failed') {
        await this.deps.conversations.deliveryChanged(message, { status: 'failed', error: 'bounced' });
        this.deps.log.info({ messageId: message.id }, 'e-mail bounce recorded');
      }
    }
  }
}
