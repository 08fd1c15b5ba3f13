import type { Bus } from '../../bus/types.ts';
import { topics } from '../../bus/types.ts';
import type { VisitorEvent } from '../../features/events.ts';
import type { ChannelAdapter, Delivery } from '../types.ts';

/**
 * The website widget has no vendor to call: the message is already stored, so "sending" is a live
 * push to the visitor's open sockets. A visitor who is offline gets it on reconnect, replayed from
 * the store after their last seen id; a second push of the same id is merged away by the client.
 */
export function widgetAdapter(bus: Bus): ChannelAdapter {
  return {
    kind: 'web',
    async send({ conversation, message }: Delivery): Promise<void> {
      const event: VisitorEvent = { type: 'message', messageId: message.id };
      await bus.publish(topics.visitor(conversation.inboxId, conversation.contactId), event);
    },
  };
}
