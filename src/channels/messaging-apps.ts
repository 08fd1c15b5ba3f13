/**
 * Composition of the messaging-app channels (Messenger and WhatsApp through one Meta app, Viber):
 * for each configured one, its inbox, its outbox adapter and its webhook route. The composition
 * root adds the adapters to the registry and registers the routes with two calls.
 */
import type { FastifyInstance } from 'fastify';
import type { ChannelSettings } from '../config-channels.ts';
import type { ChannelKind, Conversation, Inbox } from '../domain/types.ts';
import type { AttachmentPolicy } from '../features/attachments.ts';
import type { ConversationService } from '../features/conversations.ts';
import { ensureChannelInbox } from '../features/channel-inboxes.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/types.ts';
import { GraphApi } from './meta/graph.ts';
import { metaRoutes, type MetaObjectHandler } from './meta/routes.ts';
import { MessengerApi } from './messenger/api.ts';
import { messengerAdapter } from './messenger/adapter.ts';
import { messengerWebhook } from './messenger/webhook.ts';
import type { ChannelAdapter, Delivery } from './types.ts';
import { ViberApi } from './viber/api.ts';
import { viberAdapter } from './viber/adapter.ts';
import { viberRoutes } from './viber/routes.ts';
import { WhatsAppApi } from './whatsapp/api.ts';
import { whatsappAdapter } from './whatsapp/adapter.ts';
import { whatsappWebhook } from './whatsapp/webhook.ts';
import { withFields } from '../domain/with-fields.ts';

export interface MessagingAppDeps {
  settings: ChannelSettings;
  store: Store;
  conversations: ConversationService;
  /** The notice sent instead of a reply where the practice chose notice mode for the channel. */
  noticeFor(conversation: Conversation): Promise<string>;
  attachmentPolicy: AttachmentPolicy;
  /** Vendor calls give up well before a job's lease ends. */
  timeoutMs: number;
  log: Logger;
  now?: () => number;
}

export interface MessagingApps {
  adapters: ChannelAdapter[];
  /** Channels with a working sender, for the staff API (the WhatsApp template route). */
  whatsapp: boolean;
  registerRoutes(http: FastifyInstance): Promise<void>;
}

export async function messagingApps(deps: MessagingAppDeps): Promise<MessagingApps> {
  const { settings, store, conversations } = deps;
  const report = (m: Parameters<ConversationService['deliveryChanged']>[0], d: Parameters<ConversationService['deliveryChanged']>[1]) => conversations.deliveryChanged(m, d);
  // Notice mode (organization setting channelContent.<channel>): the patient gets a secure link, never the text.
  const bodyFor = (channel: ChannelKind) => async ({ conversation, message }: Delivery) => {
    const mode = (await store.getOrganization(conversation.orgId))?.settings?.channelContent?.[channel] ?? 'text';
    return mode === 'notice' ? deps.noticeFor(conversation) : message.body;
  };
  const inboxOf = async (channel: ChannelKind, name: string) => {
    const id = (await ensureChannelInbox(store, channel, name))?.id;
    return async (): Promise<Inbox | undefined> => {
      if (!id) return undefined;
      for (const org of await store.listOrganizations()) {
        const found = (await store.listInboxes(org.id)).find((i) => i.id === id);
        if (found) return found;
      }
      return undefined;
    };
  };

  const adapters: ChannelAdapter[] = [];
  const metaHandlers: Record<string, MetaObjectHandler> = {};
  const graph = settings.meta ? new GraphApi(settings.meta.graphUrl, deps.timeoutMs) : undefined;
  const common = { store, conversations, attachmentPolicy: deps.attachmentPolicy };

  if (graph && settings.messenger) {
    const api = new MessengerApi(graph, settings.messenger);
    adapters.push(messengerAdapter({ store, api, report, bodyFor: bodyFor('messenger') }));
    metaHandlers.page = messengerWebhook(withFields(common, {
      inbox: await inboxOf('messenger', 'Facebook Messenger'), pageId: settings.messenger.pageId, timeoutMs: deps.timeoutMs,
      log: deps.log.child({ module: 'messenger' }),
    }));
  }
  if (graph && settings.whatsapp) {
    const api = new WhatsAppApi(graph, settings.whatsapp, deps.timeoutMs);
    adapters.push(whatsappAdapter({ store, api, report, bodyFor: bodyFor('whatsapp'), ...(deps.now ? { now: deps.now } : {}) }));
    metaHandlers.whatsapp_business_account = whatsappWebhook(withFields(common, {
      inbox: await inboxOf('whatsapp', 'WhatsApp'), api, phoneNumberId: settings.whatsapp.phoneNumberId,
      log: deps.log.child({ module: 'whatsapp' }),
    }));
  }
  let viber: { api: ViberApi; inbox: () => Promise<Inbox | undefined> } | undefined;
  if (settings.viber) {
    const api = new ViberApi(settings.viber, deps.timeoutMs);
    adapters.push(viberAdapter({ store, api, report, bodyFor: bodyFor('viber') }));
    viber = { api, inbox: await inboxOf('viber', 'Viber') };
  }

  return {
    adapters,
    whatsapp: metaHandlers.whatsapp_business_account !== undefined,
    async registerRoutes(http) {
      const meta = settings.meta;
      if (meta && Object.keys(metaHandlers).length) {
        await http.register(metaRoutes, { appSecret: meta.appSecret, verifyToken: meta.verifyToken, handlers: metaHandlers, log: deps.log.child({ module: 'meta' }) });
      }
      if (viber && settings.viber) {
        await http.register(viberRoutes, withFields(common, {
          inbox: viber.inbox, authToken: settings.viber.authToken, api: viber.api, welcomeText: settings.viber.welcomeText,
          timeoutMs: deps.timeoutMs, log: deps.log.child({ module: 'viber' }),
        }));
      }
    },
  };
}
