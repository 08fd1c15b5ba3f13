/**
 * What every patient channel implements. Adding a channel is a folder under channels/ that exports
 * an adapter, plus one line in registry.ts. Webhook verification and inbound parsing join this
 * interface with the first webhook-driven channel; the widget receives over its own WebSocket.
 */
import type { ChannelKind, Contact, Conversation, Inbox, Message } from '../domain/types.ts';

export interface Delivery {
  inbox: Inbox;
  conversation: Conversation;
  contact: Contact;
  message: Message;
  /** An earlier attempt may have reached the vendor (it timed out, or the worker died): check
   *  before sending again. */
  mayHaveBeenSent: boolean;
}

export interface ChannelAdapter {
  readonly kind: ChannelKind;
  /**
   * Sends a staff message to the patient. Called from the outbox worker, possibly more than once
   * for the same message: it must be idempotent per `message.id`. Throws RetryableError or
   * PermanentError (jobs/errors.ts) so the worker knows whether to try again.
   */
  send(delivery: Delivery): Promise<void>;
}
