/**
 * Viber replies to the user id the patient wrote from. Nothing goes to someone who unsubscribed
 * (staff see `unsubscribed`); Viber answering "not subscribed" is remembered the same way.
 */
import type { Store } from '../../store/types.ts';
import { splitText } from '../split.ts';
import type { DeliveryReport } from '../twilio-sms/adapter.ts';
import type { ChannelAdapter, Delivery } from '../types.ts';
import { alreadyAccepted } from '../whatsapp/adapter.ts';
import { ViberError, ViberUnsubscribedError, type ViberApi } from './api.ts';

const VIBER_MAX_TEXT = 7000;

export interface ViberAdapterDeps {
  store: Store;
  api: ViberApi;
  report: DeliveryReport;
  bodyFor(delivery: Delivery): Promise<string>;
}

export function viberAdapter(deps: ViberAdapterDeps): ChannelAdapter {
  return {
    kind: 'viber',
    async send(delivery: Delivery): Promise<void> {
      const { conversation, contact, message } = delivery;
      if (alreadyAccepted(delivery)) return;
      const [to] = await deps.store.identities.addresses(conversation.orgId, contact.id, 'viber');
      if (!to) {
        await deps.report(message, { status: 'refused', error: 'no_viber_id' });
        return;
      }
      if (to.optedOutAt !== null) {
        await deps.report(message, { status: 'refused', error: 'unsubscribed' });
        return;
      }
      try {
        let last: string | undefined;
        for (const part of splitText(await deps.bodyFor(delivery), VIBER_MAX_TEXT)) last = await deps.api.sendText(to.address, part, `m${message.id}`);
        await deps.report(message, { status: 'queued', ...(last ? { externalId: `viber:${last}` } : {}) });
      } catch (err) {
        if (err instanceof ViberUnsubscribedError) {
          await deps.store.setIdentityOptOut(conversation.orgId, 'viber', to.address, Date.now());
          await deps.report(message, { status: 'refused', error: 'unsubscribed' });
          return;
        }
        if (err instanceof ViberError) await deps.report(message, { status: 'failed', error: `viber_${err.status}` });
        throw err;
      }
    },
  };
}
