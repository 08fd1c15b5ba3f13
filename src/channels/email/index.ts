/**
 * The e-mail channel, wired: the outbound adapter, the automatic-mail handler, the SMTP listener
 * and the Mailgun routes. The composition root calls these few functions.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { EmailSettings } from '../../config.ts';
import type { Conversation, Inbox } from '../../domain/types.ts';
import type { ConversationService } from '../../features/conversations.ts';
import { jobKinds } from '../../features/job-kinds.ts';
import type { JobWorker } from '../../jobs/worker.ts';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/types.ts';
import type { ChannelAdapter } from '../types.ts';
import { emailAdapter } from './adapter.ts';
import { oneLine } from './headers.ts';
import { EmailInbound } from './inbound.ts';
import { Mailer } from './mailer.ts';
import { mailgunRoutes } from './mailgun-routes.ts';
import { SmtpListener } from './smtp-listener.ts';
import { withFields } from '../../domain/with-fields.ts';

export interface EmailChannelDeps {
  settings: EmailSettings;
  store: Store;
  conversations: ConversationService;
  worker: JobWorker;
  secret: string;
  timeoutMs: number;
  attachmentMaxBytes: number;
  inbox(): Promise<Inbox | undefined>;
  /** Notice mode: the text that replaces a reply (a secure link), or undefined to send the reply. */
  noticeFor(conversation: Conversation): Promise<string | undefined>;
  log: Logger;
}

export interface EmailChannel {
  adapter: ChannelAdapter;
  routes(http: FastifyInstance): Promise<void>;
  start(): Promise<void>;
  /** Where the SMTP listener listens, once started. */
  listening: { host: string; port: number } | undefined;
  stop(): Promise<void>;
}

const noticePayload = z.object({ to: z.string(), subject: z.string(), text: z.string() });

export function emailChannel(deps: EmailChannelDeps): EmailChannel {
  const { settings, store } = deps;
  const mailer = new Mailer(settings.smtpUrl, deps.timeoutMs);
  const domain = settings.address.split('@')[1] as string;
  const fromName = async (orgId: string) => settings.fromName ?? (await store.getOrganization(orgId))?.name ?? 'Bedside';
  const adapter = emailAdapter({
    store, mailer, secret: deps.secret, practiceAddress: settings.address, fromName,
    report: (m, d) => deps.conversations.deliveryChanged(m, d),
    bodyFor: async ({ conversation, message }) => (await deps.noticeFor(conversation)) ?? message.body,
  });
  deps.worker.register(jobKinds.emailNotice, async (job) => {
    const { to, subject, text } = noticePayload.parse(job.payload);
    const tag = createHmac('sha256', deps.secret).update(`email-notice|${job.id}`).digest('base64url').slice(0, 24);
    await mailer.send({
      from: { name: oneLine(await fromName(job.orgId ?? ''), 100), address: settings.address }, to, subject: oneLine(subject), text,
      messageId: `<bedside.notice.${job.id}.${tag}@${domain}>`, autoSubmitted: 'auto-generated',
    });
  });
  const inbound = new EmailInbound({
    store, conversations: deps.conversations, secret: deps.secret, practiceAddress: settings.address, inbox: deps.inbox,
    attachmentMaxBytes: deps.attachmentMaxBytes, log: deps.log,
  });
  const listener = settings.listen
    ? new SmtpListener(withFields(settings.listen, { maxBytes: settings.maxBytes, practiceAddress: settings.address, inbound, log: deps.log }))
    : undefined;
  const channel: EmailChannel = {
    adapter,
    listening: undefined,
    async routes(http) {
      if (!settings.mailgunSigningKey) return;
      await http.register(mailgunRoutes, {
        store, inbound, signingKey: settings.mailgunSigningKey, practiceAddress: settings.address, maxBytes: settings.maxBytes, log: deps.log,
      });
    },
    async start() {
      if (listener) channel.listening = await listener.start();
    },
    async stop() {
      await listener?.stop();
      mailer.close();
    },
  };
  return channel;
}
