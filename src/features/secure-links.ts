/**
 * Notice mode for unencrypted channels: instead of the reply, the patient receives a link; to read
 * and answer they confirm a one-time code sent to the same number, and their date of birth when the
 * practice has it on file. Tokens and codes are stored only as hashes; every opening is audited.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Conversation, Message } from '../domain/types.ts';
import { AppError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { AuditTrail } from './audit.ts';
import type { ConversationService } from './conversations.ts';
import { jobKinds } from './job-kinds.ts';

const LINK_TTL_MS = 7 * 86_400_000;
const CODE_TTL_MS = 10 * 60_000;
const READER_TTL_MS = 15 * 60_000;
const MAX_CODES = 5;
const MAX_FAILURES = 5;

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex');
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const gone = () => new AppError('link_invalid', 404, 'This link is not valid or has expired. Reply to our text to get a new one.');

export class SecureLinks {
  constructor(
    private readonly store: Store,
    private readonly conversations: ConversationService,
    private readonly audit: AuditTrail,
    private readonly publicUrl: string,
    private readonly onJobsQueued: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The text sent instead of a reply: no content, just where to read it. */
  async noticeFor(conversation: Conversation): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    const now = this.now();
    await this.store.records.createSecureLink({
      tokenHash: hash(token), orgId: conversation.orgId, conversationId: conversation.id, createdAt: now, expiresAt: now + LINK_TTL_MS,
      codeHash: null, codeExpiresAt: null, codesSent: 0, failedAttempts: 0, readerHash: null, readerExpiresAt: null,
    });
    const practice = (await this.store.getOrganization(conversation.orgId))?.name ?? 'Your practice';
    // The token rides in the fragment: it never reaches a server log.
    return `${practice} has a new message for you. Read and reply securely: ${this.publicUrl}/m#${token}`;
  }

  private async link(token: string) {
    const link = token.length <= 64 ? await this.store.records.findSecureLink(hash(token)) : undefined;
    if (!link || link.expiresAt <= this.now()) throw gone();
    const conversation = await this.store.getConversation(link.orgId, link.conversationId);
    const contact = conversation && await this.store.getContact(link.orgId, conversation.contactId);
    // The code goes where the notice went: the patient's e-mail for an e-mail conversation.
    const address = conversation?.channel === 'email' ? contact?.email : contact?.phone;
    if (!conversation || !contact || !address) throw gone();
    return { link, conversation, contact, phone: address };
  }

  async requestCode(token: string, ip: string | null): Promise<{ needsDateOfBirth: boolean }> {
    const { link, conversation, contact, phone } = await this.link(token);
    if (link.codesSent >= MAX_CODES) throw new AppError('too_many_attempts', 429, 'Too many codes requested. Reply to our text to get a new link.');
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const practice = (await this.store.getOrganization(link.orgId))?.name ?? 'Your practice';
    await this.store.transaction(async (tx) => {
      await tx.records.updateSecureLink(link.tokenHash, { codeHash: hash(token, code), codeExpiresAt: this.now() + CODE_TTL_MS, codesSent: link.codesSent + 1 });
      const text = `Your ${practice} code is ${code}. It expires in 10 minutes.`;
      await tx.enqueueJob(conversation.channel === 'email'
        ? { orgId: link.orgId, kind: jobKinds.emailNotice, payload: { to: phone, subject: `Your ${practice} code`, text }, queueKey: `email-notice:${link.orgId}`, sensitive: true }
        : { orgId: link.orgId, kind: jobKinds.smsNotice, payload: { to: phone, text }, queueKey: `sms-notice:${link.orgId}`, sensitive: true });
      await this.audit.record(tx, { type: 'anonymous', id: null, orgId: link.orgId, ip }, 'secure_link.code', 'success', { type: 'conversation', id: conversation.id });
    });
    this.onJobsQueued();
    return { needsDateOfBirth: (await this.store.records.dateOfBirth(link.orgId, contact.id)) !== null };
  }

  async open(token: string, code: string, dateOfBirth: string | undefined, ip: string | null): Promise<{ practice: string; readerToken: string; messages: Message[] }> {
    const { link, conversation, contact } = await this.link(token);
    const actor = { type: 'anonymous' as const, id: null, orgId: link.orgId, ip };
    const target = { type: 'conversation', id: conversation.id };
    if (link.failedAttempts >= MAX_FAILURES) throw new AppError('too_many_attempts', 429, 'Too many attempts. Reply to our text to get a new link.');
    const dob = await this.store.records.dateOfBirth(link.orgId, contact.id);
    const codeOk = link.codeHash !== null && (link.codeExpiresAt ?? 0) > this.now() && same(link.codeHash, hash(token, code));
    const dobOk = dob === null || dob === dateOfBirth;
    if (!codeOk || !dobOk) {
      await this.store.records.updateSecureLink(link.tokenHash, { failedAttempts: link.failedAttempts + 1 });
      await this.audit.record(this.store, actor, 'secure_link.open', 'denied', target, { reason: codeOk ? 'date_of_birth' : 'code' });
      throw new AppError('verification_failed', 401, 'The code or date of birth is not right.');
    }
    const readerToken = randomBytes(24).toString('base64url');
    await this.store.records.updateSecureLink(link.tokenHash, {
      readerHash: hash(readerToken), readerExpiresAt: this.now() + READER_TTL_MS, codeHash: null, failedAttempts: 0,
    });
    await this.audit.record(this.store, actor, 'secure_link.open', 'success', target);
    const messages = await this.store.listContactMessagesAfter(link.orgId, conversation.inboxId, contact.id, 0, 50);
    return { practice: (await this.store.getOrganization(link.orgId))?.name ?? '', readerToken, messages };
  }

  async reply(token: string, readerToken: string, body: string, clientId: string): Promise<Message> {
    const { link, conversation, phone } = await this.link(token);
    if (!link.readerHash || (link.readerExpiresAt ?? 0) <= this.now() || !same(link.readerHash, hash(readerToken))) {
      throw new AppError('unauthenticated', 401, 'Confirm the code again to reply.');
    }
    const inbox = await this.store.getInbox(link.orgId, conversation.inboxId);
    if (!inbox) throw gone();
    const { message } = await this.conversations.receivePatientMessage({
      inbox, identity: { channel: conversation.channel, externalId: phone }, contactId: conversation.contactId, body, sourceId: `secure:${clientId}`,
    });
    return message;
  }
}
