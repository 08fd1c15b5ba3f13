/**
 * Viber REST bot API callbacks Bedside reads (`event`): `webhook` (set_webhook's check),
 * `message`, `conversation_started`, `subscribed`, `unsubscribed`, `delivered`, `seen`, `failed`.
 * Message tokens are kept as strings (see parseViberJson).
 */
import { z } from 'zod';

const token = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()]).transform(String);
const userId = z.string().min(1).max(64);
const user = z.looseObject({ id: userId, name: z.string().max(256).optional() });

const base = { timestamp: z.number().int().nonnegative(), chat_hostname: z.string().max(64).optional() };

export const viberCallbackSchema = z.discriminatedUnion('event', [
  z.looseObject({ event: z.literal('webhook'), ...base, message_token: token.optional() }),
  z.looseObject({
    event: z.literal('message'), ...base, message_token: token, sender: user,
    message: z.looseObject({
      type: z.string().max(32),
      text: z.string().max(7000).optional(),
      media: z.string().url().max(4096).optional(),
      file_name: z.string().max(255).optional(),
      size: z.number().int().nonnegative().optional(),
    }),
  }),
  z.looseObject({
    event: z.literal('conversation_started'), ...base, message_token: token.optional(), user,
    type: z.string().max(32).optional(), subscribed: z.boolean().optional(),
  }),
  z.looseObject({ event: z.literal('subscribed'), ...base, message_token: token.optional(), user }),
  z.looseObject({ event: z.literal('unsubscribed'), ...base, message_token: token.optional(), user_id: userId }),
  z.looseObject({ event: z.literal('delivered'), ...base, message_token: token, user_id: userId }),
  z.looseObject({ event: z.literal('seen'), ...base, message_token: token, user_id: userId }),
  z.looseObject({ event: z.literal('failed'), ...base, message_token: token, user_id: userId, desc: z.string().max(512).optional() }),
]);

/** Events Bedside does not act on (client_status, action...) are acknowledged unread. */
export const KNOWN_VIBER_EVENTS = new Set(['webhook', 'message', 'conversation_started', 'subscribed', 'unsubscribed', 'delivered', 'seen', 'failed']);
export const viberEventSchema = z.looseObject({ event: z.string().max(64) });
export type ViberCallback = z.infer<typeof viberCallbackSchema>;

/** Every REST answer: `status` 0 is success; anything else names the failure. */
export const viberResponseSchema = z.looseObject({
  status: z.number().int(),
  status_message: z.string().max(512).optional(),
  message_token: token.optional(),
});
