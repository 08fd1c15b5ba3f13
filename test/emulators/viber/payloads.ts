/**
 * Viber REST bot API callbacks in their documented shapes (`event`, `timestamp`, `chat_hostname`,
 * `message_token`, and `sender`/`user`/`user_id` per event), serialised with the message token as
 * the bare 64-bit integer Viber sends (larger than JavaScript numbers hold exactly).
 */
import { randomBytes } from 'node:crypto';

export interface ViberUser { id: string; name: string; avatar?: string; language?: string; country?: string; api_version?: number }

let counter = 0n;
/** A 64-bit message token, as Viber issues them (e.g. 4912661846655238145). */
export function newMessageToken(): string {
  counter += 1n;
  return (5_000_000_000_000_000_000n + BigInt(Date.now()) * 1000n + counter).toString();
}

export const newUserId = () => `${randomBytes(16).toString('base64')}`;

/** JSON with `message_token` written as a bare integer. */
export function serialise(event: Record<string, unknown>): string {
  const { message_token: token, ...rest } = event;
  const json = JSON.stringify(rest);
  if (token === undefined) return json;
  return `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"message_token":${String(token)}}`;
}

const base = (event: string) => ({ event, timestamp: Date.now(), chat_hostname: 'SN-CHAT-05_' });

export function messageEvent(sender: ViberUser, message: Record<string, unknown>, token: string) {
  return { ...base('message'), message_token: token, sender: { language: 'en', country: 'US', api_version: 10, ...sender }, message };
}

export function conversationStartedEvent(user: ViberUser, subscribed: boolean) {
  return { ...base('conversation_started'), message_token: newMessageToken(), type: 'open', context: '', user: { language: 'en', country: 'US', api_version: 10, ...user }, subscribed };
}

export function subscribedEvent(user: ViberUser) {
  return { ...base('subscribed'), message_token: newMessageToken(), user: { language: 'en', country: 'US', api_version: 10, ...user } };
}

export function unsubscribedEvent(userId: string) {
  return { ...base('unsubscribed'), message_token: newMessageToken(), user_id: userId };
}

export function statusEvent(event: 'delivered' | 'seen' | 'failed', token: string, userId: string, desc?: string) {
  return { ...base(event), message_token: token, user_id: userId, ...(desc ? { desc } : {}) };
}

export function webhookEvent() {
  return { ...base('webhook'), message_token: newMessageToken() };
}
