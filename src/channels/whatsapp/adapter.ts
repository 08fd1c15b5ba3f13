/**
 * WhatsApp replies. Free text goes only inside the 24-hour customer-service window (measured from
 * the patient's last WhatsApp message); outside it the reply is refused before any call, with the
 * reason staff see (`outside_24h_window`), and an approved template can be sent instead.
 */
import { DELIVERY_PROBLEMS } from '../../features/conversations.ts';
import type { Store } from '../../store/types.ts';
import type { DeliveryReport } from '../twilio-sms/adapter.ts';
import type { ChannelAdapter, Delivery } from '../types.ts';
import { GraphError } from '../meta/graph.ts';
import { WA_OUTSIDE_WINDOW, type WhatsAppApi } from './api.ts';
import { parseTemplateBody, TEMPLATE_SOURCE } from './template.ts';

export const SERVICE_WINDOW_MS = 24 * 3600_000;

export interface WhatsAppAdapterDeps {
  store: Store;
  api: WhatsAppApi;
  report: DeliveryReport;
  bodyFor(delivery: Delivery): Promise<string>;
  now?: () => number;
}

/** Whether an earlier attempt already got the message accepted (its status was recorded). */
export function alreadyAccepted(delivery: Delivery): boolean {
  const s = delivery.message.deliveryStatus;
  return delivery.mayHaveBeenSent && !!s && !DELIVERY_PROBLEMS.has(s);
}

export function whatsappAdapter(deps: WhatsAppAdapterDeps): ChannelAdapter {
  const now = deps.now ?? Date.now;
  return {
    kind: 'whatsapp',
    async send(delivery: Delivery): Promise<void> {
      const { conversation, contact, message } = delivery;
      if (alreadyAccepted(delivery)) return;
      const isTemplate = message.source === TEMPLATE_SOURCE;
      const template = isTemplate ? parseTemplateBody(message.body) : undefined;
      if (isTemplate && !template) {
        await deps.report(message, { status: 'failed', error: 'invalid_template' });
        return;
      }
      const [to] = await deps.store.identities.addresses(conversation.orgId, contact.id, 'whatsapp');
      if (!to) {
        await deps.report(message, { status: 'refused', error: 'no_whatsapp_number' });
        return;
      }
      if (!template && (to.lastInboundAt === null || now() - to.lastInboundAt > SERVICE_WINDOW_MS)) {
        await deps.report(message, { status: 'refused', error: 'outside_24h_window' });
        return;
      }
      try {
        const id = template ? await deps.api.sendTemplate(to.address, template) : await deps.api.sendText(to.address, await deps.bodyFor(delivery));
        await deps.report(message, { status: 'queued', externalId: id });
      } catch (err) {
        if (err instanceof GraphError) {
          if (err.code === WA_OUTSIDE_WINDOW) {
            await deps.report(message, { status: 'refused', error: 'outside_24h_window' });
            return;
          }
          await deps.report(message, { status: 'failed', error: `whatsapp_${err.code}` });
        }
        throw err;
      }
    },
  };
}
