/**
 * The parts of Slack's payloads Bedside reads, as zod schemas. Unknown fields pass through
 * (Slack adds fields over time); the fields we rely on are checked.
 * Shapes: Events API "event_callback" and "url_verification" envelopes, the `message` event,
 * interactivity `block_actions`, slash command form posts.
 */
import { z } from 'zod';

export const urlVerificationSchema = z.object({
  type: z.literal('url_verification'),
  challenge: z.string().max(200),
});

export const messageEventSchema = z.object({
  type: z.literal('message'),
  channel: z.string(),
  ts: z.string(),
  thread_ts: z.string().optional(),
  /** On thread replies: who wrote the thread's parent message. */
  parent_user_id: z.string().optional(),
  user: z.string().optional(),
  text: z.string().optional(),
  subtype: z.string().optional(),
  bot_id: z.string().optional(),
  app_id: z.string().optional(),
  bot_profile: z.unknown().optional(),
});
export type SlackMessageEvent = z.infer<typeof messageEventSchema>;

export const eventCallbackSchema = z.object({
  type: z.literal('event_callback'),
  team_id: z.string().optional(),
  api_app_id: z.string().optional(),
  event_id: z.string().min(1).max(64),
  event_time: z.number().optional(),
  event: z.looseObject({ type: z.string() }),
});
export type SlackEventCallback = z.infer<typeof eventCallbackSchema>;

export const appRateLimitedSchema = z.object({ type: z.literal('app_rate_limited') });

export const eventsBodySchema = z.union([urlVerificationSchema, eventCallbackSchema, appRateLimitedSchema]);

export const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  trigger_id: z.string().optional(),
  /** The workspace the button was pressed in (OAuth mode routes by it). */
  team: z.object({ id: z.string() }).nullable().optional(),
  user: z.object({ id: z.string(), team_id: z.string().optional() }),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ message_ts: z.string().optional(), channel_id: z.string().optional() }).optional(),
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional(), action_ts: z.string().optional() })).min(1),
});
export type SlackBlockActions = z.infer<typeof blockActionsSchema>;

export const slashCommandSchema = z.object({
  command: z.string(),
  text: z.string().default(''),
  user_id: z.string(),
  channel_id: z.string().optional(),
  team_id: z.string().optional(),
});
