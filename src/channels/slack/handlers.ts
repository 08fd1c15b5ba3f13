/**
 * Outbox job handlers for Slack: mirroring patient messages into threads, keeping the parent
 * message current, and acting on stored Slack callbacks (staff replies, button presses).
 * Every handler may run twice for the same job (a crash after Slack accepted, before the job was
 * marked done): posts carry a delivery key in Slack message metadata and a retry looks for it first.
 */
import { z } from 'zod';
import type { Conversation, SlackContentMode } from '../../domain/types.ts';
import type { AuditTrail } from '../../features/audit.ts';
import type { ConversationService } from '../../features/conversations.ts';
import { jobKinds } from '../../features/job-kinds.ts';
import { mayHaveBeenApplied, PermanentError, RetryableError, SkipJob } from '../../jobs/errors.ts';
import type { JobWorker } from '../../jobs/worker.ts';
import type { Logger } from '../../log.ts';
import type { Job, Store } from '../../store/types.ts';
import type { PostArgs } from './api.ts';
import { parseNote, slackToPlain } from './format.ts';
import { ACTIONS, renderDeliveryProblem, renderParent, renderPatientReply, renderStaffMirror } from './render.ts';
import { revokeOnLifecycleEvent } from './lifecycle.ts';
import { blockActionsSchema, eventCallbackSchema, messageEventSchema, type SlackMessageEvent } from './schema.ts';
import type { SlackWorkspace, SlackWorkspaces } from './workspaces.ts';

export interface SlackHandlerDeps {
  store: Store;
  /** The workspace (token, default channel) of each organization. */
  workspaces: SlackWorkspaces;
  conversations: ConversationService;
  /** SLACK_CONTENT: the content mode of practices that have not chosen one. */
  defaultContent: SlackContentMode;
  publicUrl: string;
  audit: AuditTrail;
  log: Logger;
}

const postPayload = z.object({ conversationId: z.string(), messageId: z.number().int() });
const updatePayload = z.object({ conversationId: z.string() });

/** How far back a retry searches Slack for its own earlier post (clock skew margin included). */
const LOOKBACK_SECONDS = 120;
/** How long a reply waits for its thread to be recorded before it is given up as not ours. */
const UNRECORDED_THREAD_WAIT_MS = 10 * 60_000;

export function registerSlackHandlers(worker: JobWorker, deps: SlackHandlerDeps): void {
  const { store, workspaces, log } = deps;

  const loadConversation = async (job: Job, conversationId: string): Promise<Conversation> => {
    const conversation = job.orgId ? await store.getConversation(job.orgId, conversationId) : undefined;
    if (!conversation) throw new PermanentError('conversation not found');
    return conversation;
  };

  // An administrator's choice for the practice overrides the installation default (SLACK_CONTENT).
  const contentMode = async (orgId: string): Promise<SlackContentMode> =>
    (await store.getOrganization(orgId))?.settings?.slackContent ?? deps.defaultContent;

  /**
   * The organization's workspace, or a skip: a practice that disconnected Slack (or never
   * connected it) gets nothing posted, and the job is not retried forever.
   */
  const workspaceOf = async (orgId: string): Promise<SlackWorkspace> => {
    const ws = await workspaces.forOrg(orgId);
    if (!ws) throw new SkipJob('slack not connected for this organization');
    return ws;
  };

  /** A token Slack no longer accepts: in OAuth mode the installation is marked revoked, the job skipped. */
  const onTokenRejected = async (orgId: string, err: unknown): Promise<never> => {
    const code = err instanceof PermanentError ? /^slack error (token_revoked|account_inactive|invalid_auth)$/.exec(err.message)?.[1] : undefined;
    if (code && workspaces.mode === 'oauth' && await store.slack.revokeInstallation(orgId, Date.now(), code)) {
      await workspaces.refresh(orgId);
      await deps.audit.record(store, { type: 'system', id: null, orgId, ip: null }, 'slack.revoked', 'success',
        { type: 'organization', id: orgId }, { reason: code });
      throw new SkipJob(`slack token rejected (${code})`);
    }
    throw err;
  };

  /** Runs a job's Slack work with the organization's workspace. */
  const withWorkspace = async (orgId: string, fn: (ws: SlackWorkspace) => Promise<void>): Promise<void> => {
    const ws = await workspaceOf(orgId);
    try {
      await fn(ws);
    } catch (err) {
      await onTokenRejected(orgId, err);
    }
  };

  /** New threads open in the inbox's own channel, else the practice's default channel. */
  const channelFor = async (conversation: Conversation, ws: SlackWorkspace): Promise<string> => {
    const inbox = await store.getInbox(conversation.orgId, conversation.inboxId);
    const channel = inbox?.settings.slackChannelId ?? ws.defaultChannelId;
    if (!channel) throw new SkipJob('no slack channel chosen for this inbox');
    return channel;
  };

  const parentView = async (conversation: Conversation, firstMessage?: string) => {
    const [mode, contact, first, assignee, channels, history] = await Promise.all([
      contentMode(conversation.orgId),
      store.getContact(conversation.orgId, conversation.contactId),
      firstMessage === undefined ? store.firstMessage(conversation.orgId, conversation.id) : undefined,
      conversation.assigneeId ? store.getStaff(conversation.orgId, conversation.assigneeId) : undefined,
      store.inbox.contactChannels(conversation.orgId, conversation.contactId),
      store.inbox.contactHistory(conversation.orgId, conversation.contactId, 20),
    ]);
    const earlier = history.filter((m) => m.conversationId !== conversation.id && m.kind === 'message').slice(-3)
      .map((m) => ({ channel: m.channel, fromPatient: m.direction === 'in', body: m.body }));
    return renderParent({
      mode, conversation, contact, firstMessage: firstMessage ?? first?.body,
      assigneeName: assignee?.displayName, inboxUrl: `${deps.publicUrl}/inbox/conversations/${conversation.id}`,
      channels, earlier,
    });
  };

  /**
   * Posts once per delivery key: when an earlier attempt may have reached Slack, the channel (or
   * thread) is searched for it first. Returns the ts of the post, earlier or new.
   */
  const postOnce = async (ws: SlackWorkspace, job: Job, post: PostArgs): Promise<string> => {
    const { api } = ws;
    const earlier = mayHaveBeenApplied(job)
      ? await api.findDelivered(post.channel, post.deliveryKey, job.createdAt / 1000 - LOOKBACK_SECONDS, post.threadTs)
      : undefined;
    return earlier ?? api.postMessage(post);
  };

  /** The conversation and message a job names. */
  const loadMessage = async (job: Job) => {
    const { conversationId, messageId } = postPayload.parse(job.payload);
    const conversation = await loadConversation(job, conversationId);
    const message = await store.getMessage(conversation.orgId, messageId);
    if (!message) throw new PermanentError('message not found');
    return { conversation, message };
  };

  worker.register(jobKinds.slackPost, async (job) => {
    const { conversation, message } = await loadMessage(job);
    const deliveryKey = `msg-${message.id}`;
    await withWorkspace(conversation.orgId, async (ws) => {
      if (!conversation.slackThreadTs) {
        // The first message opens the thread: the parent carries it, with the Claim/Resolve buttons.
        const channel = await channelFor(conversation, ws);
        const ts = await postOnce(ws, job, { channel, deliveryKey, ...(await parentView(conversation, message.body)) });
        await store.updateConversation(conversation.orgId, conversation.id, { slackChannelId: channel, slackThreadTs: ts });
        return;
      }
      await postOnce(ws, job, {
        channel: conversation.slackChannelId ?? await channelFor(conversation, ws), threadTs: conversation.slackThreadTs, deliveryKey,
        ...renderPatientReply(await contentMode(conversation.orgId), conversation, message.body),
      });
    });
  });

  worker.register(jobKinds.slackMirror, async (job) => {
    const { conversation, message } = await loadMessage(job);
    // A conversation that never reached Slack has no thread to keep in step.
    if (!conversation.slackThreadTs || !conversation.slackChannelId) return;
    const rendered = renderStaffMirror(await contentMode(conversation.orgId), message);
    if (!rendered) return;
    const { slackChannelId: channel, slackThreadTs: threadTs } = conversation;
    await withWorkspace(conversation.orgId, (ws) => postOnce(ws, job, { channel, threadTs, deliveryKey: `msg-${message.id}`, ...rendered }).then(() => {}));
  });

  worker.register(jobKinds.slackDeliveryProblem, async (job) => {
    const { conversation, message } = await loadMessage(job);
    if (!conversation.slackThreadTs || !conversation.slackChannelId) return;
    const { slackChannelId: channel, slackThreadTs: threadTs } = conversation;
    await withWorkspace(conversation.orgId, (ws) => postOnce(ws, job, {
      channel, threadTs, deliveryKey: `delivery-${message.id}-${message.deliveryStatus ?? ''}`, ...renderDeliveryProblem(message, conversation.channel),
    }).then(() => {}));
  });

  worker.register(jobKinds.slackUpdate, async (job) => {
    const { conversationId } = updatePayload.parse(job.payload);
    const conversation = await loadConversation(job, conversationId);
    // No thread yet: when it is posted, it is rendered from the state current then.
    if (!conversation.slackThreadTs || !conversation.slackChannelId) return;
    const { slackChannelId: channel, slackThreadTs: threadTs } = conversation;
    await withWorkspace(conversation.orgId, async (ws) => {
      const view = await parentView(conversation);
      await ws.api.updateMessage(channel, threadTs, view.text, view.blocks);
    });
  });

  worker.register(jobKinds.slackEvent, async (job) => {
    const envelope = eventCallbackSchema.parse(job.payload);
    if (await revokeOnLifecycleEvent(envelope, { store, workspaces, audit: deps.audit, log })) return;
    // OAuth mode: a callback acts only within the organization whose workspace sent it.
    const scope = await workspaces.scopeOf(envelope.team_id);
    if (!scope) {
      log.debug({ eventId: envelope.event_id }, 'slack event from a workspace with no connected practice');
      return;
    }
    const parsed = messageEventSchema.safeParse(envelope.event);
    if (!parsed.success) return;
    const event = parsed.data;
    const why = ignoredBecause(event);
    if (why) {
      log.debug({ eventId: envelope.event_id, why }, 'slack event ignored');
      return;
    }
    const conversation = scope.orgId
      ? await store.slack.findConversationByThread(scope.orgId, event.channel, event.thread_ts as string)
      : await store.findConversationBySlackThread(event.channel, event.thread_ts as string);
    if (!conversation) {
      // A reply in a thread this app started, before the thread was recorded (Slack answered the
      // post slowly, or the answer was lost): wait for the record rather than drop the reply.
      const ours = event.parent_user_id !== undefined && event.parent_user_id === await scope.workspace.api.ownUserId();
      if (ours && Date.now() - job.createdAt < UNRECORDED_THREAD_WAIT_MS) throw new RetryableError('slack thread not recorded yet');
      return;
    }
    if (await contentMode(conversation.orgId) === 'notice') {
      // In notice mode Slack carries no patient content, and replies are written in the web inbox.
      log.info({ eventId: envelope.event_id, conversationId: conversation.id }, 'slack reply not relayed: notice mode');
      return;
    }
    const { internal, body } = parseNote(slackToPlain(event.text ?? ''));
    if (!body) return;
    const user = await scope.workspace.users.get(event.user as string);
    if (user.isBot) return;
    const staff = await store.upsertSlackStaff(conversation.orgId, user.id, user.displayName);
    const { created, message } = await deps.conversations.recordStaffReply({
      conversation, staff, body, internal, source: 'slack', sourceId: `${event.channel}:${event.ts}`,
    });
    if (created) {
      await deps.audit.record(store, { type: 'slack', id: user.id, orgId: conversation.orgId, ip: null },
        internal ? 'message.note' : 'message.send', 'success', { type: 'message', id: String(message.id) });
    }
    // The first person to answer an unclaimed conversation owns it: Slack then shows who handles it.
    if (created && !internal && !conversation.assigneeId && conversation.status === 'open') {
      await deps.conversations.claim(conversation, staff);
    }
  });

  worker.register(jobKinds.slackAction, async (job) => {
    const payload = blockActionsSchema.parse(job.payload);
    const action = payload.actions[0];
    const channel = payload.channel?.id ?? payload.container?.channel_id;
    const parentTs = payload.message?.thread_ts ?? payload.message?.ts ?? payload.container?.message_ts;
    if (!action || !channel || !parentTs) return;
    const scope = await workspaces.scopeOf(payload.team?.id ?? payload.user.team_id);
    if (!scope) return;
    const conversation = scope.orgId
      ? await store.slack.findConversationByThread(scope.orgId, channel, parentTs)
      : await store.findConversationBySlackThread(channel, parentTs);
    // The button must belong to the message it was pressed on: a forged value changes nothing.
    if (!conversation || conversation.id !== action.value) return;
    const user = await scope.workspace.users.get(payload.user.id);
    const staff = await store.upsertSlackStaff(conversation.orgId, user.id, user.displayName);
    const verb = ({ [ACTIONS.claim]: 'assign', [ACTIONS.resolve]: 'resolve', [ACTIONS.reopen]: 'reopen' } as Record<string, string>)[action.action_id];
    if (!verb) return;
    if (verb === 'assign') await deps.conversations.claim(conversation, staff);
    else if (verb === 'resolve') await deps.conversations.resolve(conversation, staff);
    else await deps.conversations.reopen(conversation);
    await deps.audit.record(store, { type: 'slack', id: user.id, orgId: conversation.orgId, ip: null }, `conversation.${verb}`, 'success',
      { type: 'conversation', id: conversation.id });
  });
}

/** Why a message event is not a staff reply to relay, or undefined if it is one. */
export function ignoredBecause(e: SlackMessageEvent): string | undefined {
  // thread_broadcast is a reply also shown in the channel: still a reply. Edits, deletions, joins,
  // bot_message and the rest are never sent to a patient.
  if (e.subtype && e.subtype !== 'thread_broadcast') return `subtype ${e.subtype}`;
  if (e.bot_id || e.bot_profile) return 'bot';
  if (!e.user) return 'no user';
  if (!e.thread_ts || e.thread_ts === e.ts) return 'not a thread reply';
  return undefined;
}
