/**
 * Messenger replies to the page-scoped id the patient wrote from, split at 2,000 characters.
 * Outside Messenger's 24-hour window the Send API refuses; staff see `outside_24h_window`.
 */
import type { Store } from '../../store/types.ts';
import { GraphError } from '../meta/graph.ts';
import { splitText } from '../split.ts';
import type { DeliveryReport } from '../twilio-sms/adapter.ts';
import type { ChannelAdapter, Delivery } from '../types.ts';
import { alreadyAccepted } from '../whatsapp/adapter.ts';
import { MESSENGER_MAX_TEXT, MESSENGER_OUTSIDE_WINDOW, type MessengerApi } from './api.ts';

export interface MessengerAdapterDeps {
  store: Store;
  api: MessengerApi;
  report: DeliveryReport;
  bodyFor(delivery: Delivery): Promise<string>;
}

export function messengerAdapter(deps: MessengerAdapterDeps): ChannelAdapter {
  return {
    kind: 'messenger',
    async send(delivery: Delivery): Promise<void> {
      const { conversation, contact, message } = delivery;
      if (alreadyAccepted(delivery)) return;
      const [to] = await deps.store.identities.addresses(conversation.orgId, contact.id, 'messenger');
      if (!to) {
        await deps.report(message, { status: 'refused', error: 'no_messenger_id' });
        return;
      }
      try {
        let last: string | undefined;
        for (const part of splitText(await deps.bodyFor(delivery), MESSENGER_MAX_TEXT)) last = await deps.api.sendText(to.address, part);
        await deps.report(message, { status: 'queued', ...(last ? { externalId: last } : {}) });
      } catch (err) {
        if (err instanceof GraphError) {
          if (err.code === MESSENGER_OUTSIDE_WINDOW.code && err.subcode === MESSENGER_OUTSIDE_WINDOW.subcode) {
            await deps.report(message, { status: 'refused', error: 'outside_24h_window' });
            return;
          }
          await deps.report(message, { status: 'failed', error: `messenger_${err.code}` });
        }
        throw err;
      }
    },
  };
}
