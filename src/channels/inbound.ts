/**
 * The last step every webhook-driven channel shares: one patient message into the conversation
 * rules, then the reply address remembered (sealed) with the vendor's time of the message, which
 * WhatsApp's 24-hour window is measured from. Idempotent on the vendor's message id.
 */
import type { ChannelKind, Inbox } from '../domain/types.ts';
import { AppError } from '../errors.ts';
import type { ConversationService } from '../features/conversations.ts';
import type { ContactPatch, Store } from '../store/types.ts';
import type { InboundMedia } from './download.ts';

export interface ChannelInboundDeps {
  store: Store;
  conversations: ConversationService;
  /** The inbox this channel's messages land in. */
  inbox(): Promise<Inbox | undefined>;
}

export interface ChannelMessage {
  channel: ChannelKind;
  /** The identity as contacts are matched (a WhatsApp number in E.164, a page-scoped id...). */
  externalId: string;
  /** Where replies go, exactly as the vendor wants it. */
  address: string;
  /** The vendor's message id: a redelivered callback stores nothing twice. */
  sourceId: string;
  /** When the patient sent it, by the vendor's clock (ms). */
  sentAt: number;
  text: string;
  /** Notes for staff about items that are not stored (refused, unsupported, unavailable). */
  notes: string[];
  media: InboundMedia[];
  profile?: ContactPatch;
  linkByAddress?: { phone: string };
}

export async function receiveChannelMessage(deps: ChannelInboundDeps, m: ChannelMessage): Promise<{ created: boolean; orgId: string }> {
  const inbox = await deps.inbox();
  if (!inbox) throw new AppError('not_configured', 404, `No ${m.channel} inbox`);
  // With files and no text, the attachments core names the files in the text.
  const body = [m.text.trim(), ...m.notes].filter(Boolean).join('\n') || (m.media.length ? '' : '[Empty message]');
  const { created } = await deps.conversations.receivePatientMessage({
    inbox, identity: { channel: m.channel, externalId: m.externalId }, body, sourceId: m.sourceId, attachments: m.media,
    ...(m.profile ? { profile: m.profile } : {}), ...(m.linkByAddress ? { linkByAddress: m.linkByAddress } : {}),
  });
  await deps.store.identities.recordInbound(inbox.orgId, m.channel, m.externalId, m.address, m.sentAt);
  return { created, orgId: inbox.orgId };
}
