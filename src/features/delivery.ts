/** The outbox handler that sends a staff message to the patient on the conversation's channel. */
import { z } from 'zod';
import type { ChannelRegistry } from '../channels/registry.ts';
import { mayHaveBeenApplied, PermanentError } from '../jobs/errors.ts';
import type { JobWorker } from '../jobs/worker.ts';
import type { Store } from '../store/types.ts';
import { jobKinds } from './job-kinds.ts';
import { noMetrics, type CoreMetrics } from './metrics.ts';

const payloadSchema = z.object({ messageId: z.number().int() });

export function registerDeliveryHandler(worker: JobWorker, store: Store, channels: ChannelRegistry, metrics: CoreMetrics = noMetrics): void {
  worker.register(jobKinds.deliver, async (job) => {
    const { messageId } = payloadSchema.parse(job.payload);
    const orgId = job.orgId ?? '';
    const message = await store.getMessage(orgId, messageId);
    if (!message) throw new PermanentError('message not found');
    if (message.kind !== 'message') return; // internal notes are never delivered
    const conversation = await store.getConversation(orgId, message.conversationId);
    if (!conversation) throw new PermanentError('conversation not found');
    const [inbox, contact] = await Promise.all([
      store.getInbox(orgId, conversation.inboxId),
      store.getContact(orgId, conversation.contactId),
    ]);
    if (!inbox || !contact) throw new PermanentError('inbox or contact not found');
    const adapter = channels.get(conversation.channel);
    if (!adapter) throw new PermanentError(`no adapter for channel ${conversation.channel}`);
    try {
      await adapter.send({ inbox, conversation, contact, message, mayHaveBeenSent: mayHaveBeenApplied(job) });
    } catch (err) {
      metrics.deliveryFailed(conversation.channel);
      throw err;
    }
  });
}
