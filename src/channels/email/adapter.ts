/**
 * E-mail replies. Each staff message goes out from the practice's address with a Message-ID of
 * its own (the same on every attempt), In-Reply-To naming the patient's latest e-mail, the
 * References chain, and "Re: <subject>" kept across the thread, so Gmail, Apple Mail and Outlook
 * show one conversation. The Message-ID is recorded first: the patient's answer finds its
 * conversation whatever its subject.
 */
import type { ChannelAdapter, Delivery } from '../types.ts';
import type { Message } from '../../domain/types.ts';
import type { Store } from '../../store/types.ts';
import { normalAddress, oneLine, outboundMessageId, replySubject } from './headers.ts';
import { SmtpRejectedError, type Mailer } from './mailer.ts';

export type DeliveryReport = (message: Message, d: { status: string; error?: string | null; externalId?: string }) => Promise<void>;

/** References keep the first message and the latest ones (RFC 5322 3.6.4; long chains get cut by servers). */
const MAX_REFERENCES = 20;

export interface EmailAdapterDeps {
  store: Store;
  mailer: Mailer;
  secret: string;
  practiceAddress: string;
  fromName(orgId: string): Promise<string>;
  report: DeliveryReport;
  /** What the e-mail says: the reply, or (notice mode) a secure link. */
  bodyFor(delivery: Delivery): Promise<string>;
}

export function emailAdapter(deps: EmailAdapterDeps): ChannelAdapter {
  const { store, report } = deps;
  const domain = deps.practiceAddress.split('@')[1] as string;
  return {
    kind: 'email',
    async send(delivery: Delivery): Promise<void> {
      const { conversation, contact, message } = delivery;
      const to = normalAddress(contact.email);
      if (!to) {
        await report(message, { status: 'refused', error: 'no_email_address' });
        return;
      }
      if (await store.identityOptOut(conversation.orgId, 'email', to) !== null) {
        await report(message, { status: 'refused', error: 'opted_out' });
        return;
      }
      const thread = await store.email.thread(conversation.orgId, conversation.id);
      const messageId = outboundMessageId(deps.secret, conversation.orgId, message.id, domain);
      const earlier = thread.filter((e) => e.header !== messageId);
      const lastIn = earlier.filter((e) => e.direction === 'in').at(-1);
      const subjectSource = lastIn?.subject ?? earlier.find((e) => e.subject)?.subject;
      const fromName = oneLine(await deps.fromName(conversation.orgId), 100);
      // Staff may write first (to an address from the website's form): no "Re:" on a new thread.
      const subject = subjectSource ? replySubject(subjectSource, fromName) : oneLine(`Message from ${fromName}`);
      const references = earlier.map((e) => e.header);
      const refs = references.length > MAX_REFERENCES ? [references[0] as string, ...references.slice(-(MAX_REFERENCES - 1))] : references;
      await store.email.recordMessageId(conversation.orgId, conversation.id, { header: messageId, direction: 'out', subject, messageId: message.id }, Date.now());
      const text = await deps.bodyFor(delivery);
      try {
        await deps.mailer.send({
          from: { name: fromName, address: deps.practiceAddress }, to, subject, text, messageId,
          ...(lastIn ? { inReplyTo: lastIn.header } : {}), references: refs,
        });
      } catch (err) {
        if (err instanceof SmtpRejectedError) await report(message, { status: 'failed', error: `smtp_${err.responseCode}` });
        throw err;
      }
      await report(message, { status: 'sent', externalId: messageId });
    },
  };
}
