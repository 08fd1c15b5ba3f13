/** The Twilio webhook parameters Bedside reads ("Incoming message webhook", "status callback"). */
import { z } from 'zod';

const sid = z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/);

export const inboundSmsSchema = z.looseObject({
  MessageSid: sid,
  AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/),
  From: z.string().min(3).max(32),
  To: z.string().min(3).max(32),
  Body: z.string().max(1600).default(''),
  NumMedia: z.coerce.number().int().min(0).max(10).default(0),
});
export type InboundSms = z.infer<typeof inboundSmsSchema>;

export const statusCallbackSchema = z.looseObject({
  MessageSid: sid,
  AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/),
  MessageStatus: z.enum(['accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'read', 'receiving', 'received', 'canceled']),
  ErrorCode: z.string().max(10).optional(),
});
