/**
 * SMS through Twilio. A reply goes to the number the patient texts from, split as SMS requires;
 * nothing is sent to a number that opted out (the staff member sees the message refused and why).
 */
import { TwilioOptedOutError, type TwilioApi } from './api.ts';
import { splitSms } from './keywords.ts';
import type { ChannelAdapter, Delivery } from '../types.ts';
import { normalizePhone } from '../../domain/normalize.ts';
import type { Message } from '../../domain/types.ts';
import type { Store } from '../../store/types.ts';

export type DeliveryReport = (message: Message, d: { status: string; error?: string | null; externalId?: string }) => Promise<void>;

export interface SmsAdapterDeps {
  store: Store;
  api: TwilioApi;
  statusCallbackUrl: string;
  report: DeliveryReport;
  /** What goes over SMS for a reply: its text, or (notice mode) a secure link. */
  bodyFor(delivery: Delivery): Promise<string>;
}

export function twilioSmsAdapter(deps: SmsAdapterDeps): ChannelAdapter {
  const { store, api, report } = deps;
  return {
    kind: 'sms',
    async send(delivery: Delivery): Promise<void> {
      const { conversation, contact, message, mayHaveBeenSent } = delivery;
      // A number typed into the website's form ("(415) 555-0123") is dialled in E.164.
      const to = contact.phone ? normalizePhone(contact.phone) : null;
      if (!to) {
        await report(message, { status: 'refused', error: 'no_phone_number' });
        return;
      }
      if (await store.identityOptOut(conversation.orgId, 'sms', to) !== null) {
        await report(message, { status: 'refused', error: 'opted_out' });
        return;
      }
      let lastSid: string | undefined;
      try {
        for (const part of splitSms(await deps.bodyFor(delivery))) {
          const earlier = mayHaveBeenSent ? await api.findSent(to, part) : undefined;
          lastSid = earlier ?? (await api.sendMessage({ to, body: part, statusCallback: deps.statusCallbackUrl })).sid;
        }
      } catch (err) {
        if (err instanceof TwilioOptedOutError) {
          // Twilio knew of a STOP we did not (sent before Bedside): remember it.
          await store.setIdentityOptOut(conversation.orgId, 'sms', to, Date.now());
          await report(message, { status: 'refused', error: 'opted_out' });
          return;
        }
        throw err;
      }
      await report(message, { status: 'queued', ...(lastSid ? { externalId: lastSid } : {}) });
    },
  };
}
