/**
 * POST /slack/events: the one URL for the Events API, interactivity and slash commands.
 * Verified over the raw bytes before anything is parsed; an accepted callback is stored as an
 * outbox job and acknowledged at once (Slack wants an answer within 3 s), then processed from
 * the stored row. Slack's retries and duplicate event ids land on the same job key: no-ops.
 */
import type { FastifyInstance } from 'fastify';
import { AppError, errors } from '../../errors.ts';
import { jobKinds, queueKeys } from '../../features/job-kinds.ts';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/types.ts';
import { verifySlackRequest } from './verify.ts';
import { blockActionsSchema, eventsBodySchema, slashCommandSchema } from './schema.ts';

export const SLACK_BODY_LIMIT = 256 * 1024;

export interface SlackRouteDeps {
  store: Store;
  signingSecret: string;
  publicUrl: string;
  onJobsQueued(): void;
  log: Logger;
  now?: () => number;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw errors.badRequest('invalid_json', 'Body is not valid JSON');
  }
}

export async function slackRoutes(app: FastifyInstance, deps: SlackRouteDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  // Keep the bytes exactly as sent: the signature is over them.
  const keepRaw = (_req: unknown, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: SLACK_BODY_LIMIT }, keepRaw);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: SLACK_BODY_LIMIT }, keepRaw);
  // Anything else is still read raw, so an unsigned request is refused as 401 before its type is judged.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: SLACK_BODY_LIMIT }, keepRaw);

  app.post('/slack/events', async (req, reply) => {
    const raw = req.body;
    if (!Buffer.isBuffer(raw) || !verifySlackRequest({
      signingSecret: deps.signingSecret, rawBody: raw, headers: req.headers, nowSeconds: Math.floor(now() / 1000),
    })) {
      throw errors.unauthorized();
    }
    const retryNum = req.headers['x-slack-retry-num'];
    const contentType = String(req.headers['content-type'] ?? '');

    if (contentType.startsWith('application/json')) {
      const parsed = eventsBodySchema.safeParse(parseJson(raw));
      if (!parsed.success) throw errors.badRequest('invalid_payload', 'Unsupported Slack payload');
      const body = parsed.data;
      if (body.type === 'url_verification') return { challenge: body.challenge };
      if (body.type === 'app_rate_limited') return reply.code(200).send();
      const thread = typeof body.event.thread_ts === 'string' && typeof body.event.channel === 'string'
        ? queueKeys.slackThread(body.event.channel, body.event.thread_ts) : 'slack-events';
      const id = await deps.store.enqueueJob({
        orgId: null, kind: jobKinds.slackEvent, payload: body, queueKey: thread, dedupeKey: `slack-event:${body.event_id}`, sensitive: true,
      });
      deps.log.info({ eventId: body.event_id, retryNum, duplicate: id === undefined }, 'slack event accepted');
      if (id !== undefined) deps.onJobsQueued();
      return reply.code(200).send();
    }

    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(raw.toString('utf8'));
      const payload = form.get('payload');
      if (payload !== null) {
        const json = parseJson(Buffer.from(payload));
        const action = blockActionsSchema.safeParse(json);
        if (!action.success) {
          // Other interaction types (shortcuts, view submissions) are not used: acknowledge, ignore.
          if (json && typeof json === 'object' && typeof (json as { type?: unknown }).type === 'string') return reply.code(200).send();
          throw errors.badRequest('invalid_payload', 'Unsupported Slack payload');
        }
        const a = action.data;
        const channel = a.channel?.id ?? a.container?.channel_id ?? 'unknown';
        const parentTs = a.message?.thread_ts ?? a.message?.ts ?? a.container?.message_ts ?? 'unknown';
        const key = a.trigger_id ?? `${a.user.id}:${a.actions[0]?.action_ts ?? ''}`;
        const id = await deps.store.enqueueJob({
          orgId: null, kind: jobKinds.slackAction, payload: a, queueKey: queueKeys.slackThread(channel, parentTs),
          dedupeKey: `slack-action:${key}`, sensitive: true,
        });
        if (id !== undefined) deps.onJobsQueued();
        return reply.code(200).send();
      }
      if (form.has('command')) {
        const cmd = slashCommandSchema.safeParse(Object.fromEntries(form));
        if (!cmd.success) throw errors.badRequest('invalid_payload', 'Unsupported Slack payload');
        return {
          response_type: 'ephemeral',
          text: `Bedside answers patients from the threads in this channel. Reply in a thread to answer; start with \`note:\` to keep it internal; use Claim and Resolve on the first message. Web inbox: ${deps.publicUrl}/inbox`,
        };
      }
      throw errors.badRequest('invalid_payload', 'Unsupported Slack payload');
    }
    throw new AppError('unsupported_media_type', 415, 'Unsupported content type');
  });
}
