/**
 * The Messenger Platform webhook fields Bedside reads (object `page`, `entry[].messaging[]`):
 * `messages` (text and attachments, echoes of our own sends ignored), `message_deliveries`
 * (`mids` and/or `watermark`) and `message_reads` (`watermark`).
 */
import { z } from 'zod';

const attachment = z.looseObject({
  type: z.string().max(32),
  payload: z.looseObject({ url: z.string().url().max(4096).optional() }).nullable().optional(),
});

export const messagingEventSchema = z.looseObject({
  sender: z.looseObject({ id: z.string().regex(/^\d{1,32}$/) }),
  recipient: z.looseObject({ id: z.string().regex(/^\d{1,32}$/) }),
  timestamp: z.number().int().nonnegative().optional(),
  message: z.looseObject({
    mid: z.string().min(1).max(512),
    text: z.string().max(8000).optional(),
    is_echo: z.boolean().optional(),
    attachments: z.array(attachment).max(20).optional(),
  }).optional(),
  delivery: z.looseObject({ mids: z.array(z.string().max(512)).max(100).optional(), watermark: z.number().int().nonnegative() }).optional(),
  read: z.looseObject({ watermark: z.number().int().nonnegative() }).optional(),
});
export type MessagingEvent = z.infer<typeof messagingEventSchema>;

export const messengerWebhookSchema = z.looseObject({
  object: z.literal('page'),
  entry: z.array(z.looseObject({
    id: z.string().max(32),
    time: z.number().optional(),
    messaging: z.array(messagingEventSchema).max(1000).optional(),
  })).max(100),
});

/** Send API answer. */
export const sendResponseSchema = z.looseObject({ recipient_id: z.string().optional(), message_id: z.string().min(1) });
