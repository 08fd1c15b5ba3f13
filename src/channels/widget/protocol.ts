/**
 * The widget's WebSocket protocol: every frame either way is one JSON object with a `type`.
 * The browser bundle imports only the types from here (zod stays on the server).
 *
 * Session: the client opens `GET /widget/ws?inbox=<public key>` and sends `hello` first.
 * The visitor token travels in that frame, never in the URL, so it stays out of access logs.
 *
 * Exactly-once across reconnects:
 *  - every patient message carries a client-generated `clientId`; the server stores it under a
 *    unique key, so a resend after a lost `ack` returns the original message instead of a copy;
 *  - every stored message has an increasing integer `id`; `hello.lastSeenId` makes the server
 *    replay everything newer, so a reply sent while the connection was down arrives once.
 */
import { z } from 'zod';

export const MAX_MESSAGE_CHARS = 4000;
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

const profileSchema = z.object({
  name: z.string().trim().min(1).max(120).optional(),
  email: z.string().trim().email().max(254).optional(),
  phone: z.string().trim().regex(/^\+?[0-9 ().-]{6,24}$/).optional(),
}).strict();

export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    token: z.string().max(512).optional(),
    lastSeenId: z.number().int().nonnegative().optional(),
  }).strict(),
  z.object({
    type: z.literal('message'),
    clientId: z.string().regex(CLIENT_ID_PATTERN),
    body: z.string().max(MAX_MESSAGE_CHARS).refine((s) => s.trim().length > 0, 'empty message'),
  }).strict(),
  z.object({ type: z.literal('typing'), on: z.boolean() }).strict(),
  z.object({ type: z.literal('profile'), profile: profileSchema }).strict(),
  z.object({ type: z.literal('ping') }).strict(),
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type VisitorProfile = z.infer<typeof profileSchema>;

/** A message as the patient's widget sees it. */
export interface WidgetMessage {
  id: number;
  /** Present on the patient's own messages: the id the browser generated. */
  clientId?: string;
  from: 'patient' | 'staff';
  body: string;
  /** Staff member's display name on replies. */
  authorName?: string;
  /** ISO 8601 */
  at: string;
}

export interface WidgetInboxInfo {
  name: string;
  greeting: string;
  color: string;
  preChat: { enabled: boolean; fields: Array<'name' | 'email' | 'phone'> };
}

export type ServerFrame =
  | { type: 'welcome'; token: string; inbox: WidgetInboxInfo; profileComplete: boolean; messages: WidgetMessage[] }
  | { type: 'ack'; clientId: string; message: WidgetMessage }
  | { type: 'message'; message: WidgetMessage }
  | { type: 'typing'; on: boolean; name?: string }
  | { type: 'profile_saved' }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string; clientId?: string };
