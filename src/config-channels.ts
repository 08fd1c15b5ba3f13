/**
 * Settings of the Meta (Messenger, WhatsApp Cloud API) and Viber channels, kept beside config.ts so
 * that file only spreads them in. Each channel is all-or-none; Messenger and WhatsApp share the Meta
 * app's secret and verify token.
 */
import { z } from 'zod';

const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://');
const graphId = z.string().regex(/^\d{5,20}$/, 'must be a numeric Meta id');

export const channelEnvShape = {
  /** The Meta app's secret: the key of X-Hub-Signature-256. */
  META_APP_SECRET: z.string().min(16).optional(),
  /** Any string chosen by the administrator, typed into the app's webhook settings too. */
  META_VERIFY_TOKEN: z.string().min(8).max(200).optional(),
  META_GRAPH_URL: httpUrl.default('https://graph.facebook.com/v21.0'),
  MESSENGER_PAGE_ID: graphId.optional(),
  MESSENGER_PAGE_TOKEN: z.string().min(16).optional(),
  WHATSAPP_PHONE_NUMBER_ID: graphId.optional(),
  WHATSAPP_TOKEN: z.string().min(16).optional(),
  VIBER_AUTH_TOKEN: z.string().min(16).optional(),
  VIBER_API_URL: httpUrl.default('https://chatapi.viber.com/pa'),
  VIBER_SENDER_NAME: z.string().min(1).max(28, 'must be at most 28 characters (Viber limit)').default('Front desk'),
  /** Answer to `conversation_started` (the one message Viber allows before the user subscribes). */
  VIBER_WELCOME_TEXT: z.string().max(500).optional(),
};

type ChannelEnv = z.infer<z.ZodObject<typeof channelEnvShape>>;

export interface MetaAppSettings { appSecret: string; verifyToken: string; graphUrl: string }
export interface MessengerSettings { pageId: string; pageToken: string }
export interface WhatsAppSettings { phoneNumberId: string; token: string }
export interface ViberSettings { authToken: string; apiUrl: string; senderName: string; welcomeText: string | undefined }

export interface ChannelSettings {
  meta: MetaAppSettings | undefined;
  messenger: MessengerSettings | undefined;
  whatsapp: WhatsAppSettings | undefined;
  viber: ViberSettings | undefined;
}

function together(e: Record<string, unknown>, names: readonly string[]): string[] {
  const present = names.filter((k) => e[k] !== undefined);
  if (present.length === 0 || present.length === names.length) return [];
  return [`${names.filter((k) => e[k] === undefined).join(', ')}: required with ${present.join(', ')}`];
}

/** Problems (naming variables, never values) and the settings they allow. */
export function channelSettings(e: ChannelEnv): { problems: string[]; settings: ChannelSettings } {
  const problems = [
    ...together(e, ['MESSENGER_PAGE_ID', 'MESSENGER_PAGE_TOKEN']),
    ...together(e, ['WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_TOKEN']),
  ];
  const metaWanted = e.MESSENGER_PAGE_ID !== undefined || e.MESSENGER_PAGE_TOKEN !== undefined
    || e.WHATSAPP_PHONE_NUMBER_ID !== undefined || e.WHATSAPP_TOKEN !== undefined
    || e.META_APP_SECRET !== undefined || e.META_VERIFY_TOKEN !== undefined;
  if (metaWanted) {
    const missing = (['META_APP_SECRET', 'META_VERIFY_TOKEN'] as const).filter((k) => e[k] === undefined);
    if (missing.length) problems.push(`${missing.join(', ')}: required for Messenger or WhatsApp`);
    else if (!e.MESSENGER_PAGE_ID && !e.WHATSAPP_PHONE_NUMBER_ID) {
      problems.push('MESSENGER_PAGE_ID or WHATSAPP_PHONE_NUMBER_ID: required with META_APP_SECRET');
    }
  }
  const meta = e.META_APP_SECRET && e.META_VERIFY_TOKEN
    ? { appSecret: e.META_APP_SECRET, verifyToken: e.META_VERIFY_TOKEN, graphUrl: e.META_GRAPH_URL.replace(/\/+$/, '') }
    : undefined;
  return {
    problems,
    settings: {
      meta,
      messenger: meta && e.MESSENGER_PAGE_ID && e.MESSENGER_PAGE_TOKEN ? { pageId: e.MESSENGER_PAGE_ID, pageToken: e.MESSENGER_PAGE_TOKEN } : undefined,
      whatsapp: meta && e.WHATSAPP_PHONE_NUMBER_ID && e.WHATSAPP_TOKEN ? { phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID, token: e.WHATSAPP_TOKEN } : undefined,
      viber: e.VIBER_AUTH_TOKEN
        ? { authToken: e.VIBER_AUTH_TOKEN, apiUrl: e.VIBER_API_URL.replace(/\/+$/, ''), senderName: e.VIBER_SENDER_NAME, welcomeText: e.VIBER_WELCOME_TEXT }
        : undefined,
    },
  };
}
