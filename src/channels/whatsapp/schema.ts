/**
 * The WhatsApp Cloud API webhook fields Bedside reads ("messages" webhook reference): incoming
 * `messages[]` with the sender's `contacts[]` profile, and `statuses[]` of what the business sent.
 * Other message types (audio, location, reactions...) are accepted and noted, not refused.
 */
import { z } from 'zod';

const media = z.looseObject({
  id: z.string().min(1).max(128),
  mime_type: z.string().max(128).optional(),
  sha256: z.string().max(128).optional(),
  caption: z.string().max(4096).optional(),
  filename: z.string().max(255).optional(),
});

export const waMessageSchema = z.looseObject({
  from: z.string().regex(/^\d{6,16}$/),
  id: z.string().min(1).max(256),
  timestamp: z.string().regex(/^\d{1,12}$/),
  type: z.string().max(32),
  text: z.looseObject({ body: z.string().max(4096) }).optional(),
  image: media.optional(),
  document: media.optional(),
});
export type WaMessage = z.infer<typeof waMessageSchema>;

export const waStatusSchema = z.looseObject({
  id: z.string().min(1).max(256),
  status: z.enum(['sent', 'delivered', 'read', 'failed', 'deleted', 'warning']),
  timestamp: z.string().regex(/^\d{1,12}$/),
  recipient_id: z.string().max(32).optional(),
  errors: z.array(z.looseObject({ code: z.number().int(), title: z.string().max(512).optional() })).max(10).optional(),
});

export const waValueSchema = z.looseObject({
  messaging_product: z.literal('whatsapp'),
  metadata: z.looseObject({ display_phone_number: z.string().max(32), phone_number_id: z.string().max(32) }),
  contacts: z.array(z.looseObject({ wa_id: z.string().max(32), profile: z.looseObject({ name: z.string().max(256).optional() }).optional() })).max(100).optional(),
  messages: z.array(waMessageSchema).max(1000).optional(),
  statuses: z.array(waStatusSchema).max(1000).optional(),
});

export const waWebhookSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.looseObject({
    id: z.string().max(32),
    changes: z.array(z.looseObject({ field: z.string().max(64), value: z.unknown() })).max(100),
  })).max(100),
});

/** `GET /{media-id}`: where to download it (with the same bearer token), and its declared size. */
export const waMediaInfoSchema = z.looseObject({
  url: z.string().url(),
  mime_type: z.string().max(128).optional(),
  file_size: z.union([z.number(), z.string()]).optional(),
  id: z.string().optional(),
});

/** `POST /{phone-number-id}/messages` answer. */
export const waSendResponseSchema = z.looseObject({
  messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1),
});
