/**
 * What Bedside posts in Slack. In `notice` mode nothing here contains PHI: only the opaque
 * conversation reference, the channel kind, the state and a link into the (signed-in) web inbox.
 * In `full` mode the patient's name and words are mirrored, escaped so they cannot ping or link.
 */
import type { Block, Button, KnownBlock } from '@slack/web-api';
import type { ChannelKind, Contact, Conversation, Message, SlackContentMode } from '../../domain/types.ts';
import { escapeSlack, quoteForSlack } from './format.ts';

export const ACTIONS = { claim: 'bedside_claim', resolve: 'bedside_resolve', reopen: 'bedside_reopen' } as const;

const CHANNEL_LABEL: Record<ChannelKind, string> = {
  web: 'web chat', sms: 'SMS', email: 'email', messenger: 'Messenger', whatsapp: 'WhatsApp', viber: 'Viber',
};

export interface ParentView {
  mode: SlackContentMode;
  conversation: Conversation;
  contact: Contact | undefined;
  firstMessage: string | undefined;
  assigneeName: string | undefined;
  inboxUrl: string;
  /** Every channel the contact has used (not PHI: kinds only). */
  channels: ChannelKind[];
  /** Full mode: the contact's latest messages in their other conversations, oldest first. */
  earlier: Array<{ channel: ChannelKind; fromPatient: boolean; body: string }>;
}

export interface Rendered { text: string; blocks: Array<Block | KnownBlock> }

function statusLine(v: ParentView): string {
  const who = v.assigneeName ? escapeSlack(v.assigneeName) : undefined;
  if (v.conversation.status === 'resolved') return `:white_check_mark: Resolved${who ? ` · ${who}` : ''}`;
  return who ? `:raising_hand: Claimed by ${who}` : ':large_orange_circle: Open · unassigned';
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  return { type: 'button', text: { type: 'plain_text', text }, action_id: actionId, value, ...(style ? { style } : {}) };
}

export function renderParent(v: ParentView): Rendered {
  const c = v.conversation;
  const label = CHANNEL_LABEL[c.channel];
  const header = v.mode === 'full'
    ? `*${escapeSlack(v.contact?.displayName ?? 'Website visitor')}* · ${label} · \`${c.ref}\``
    : `*New ${label} conversation* · \`${c.ref}\``;
  const body = v.mode === 'full' && v.firstMessage ? `\n${quoteForSlack(v.firstMessage)}` : '';
  const buttons: Button[] = [];
  if (c.status === 'open') {
    if (!c.assigneeId) buttons.push(button('Claim', ACTIONS.claim, c.id, 'primary'));
    buttons.push(button('Resolve', ACTIONS.resolve, c.id));
  } else {
    buttons.push(button('Reopen', ACTIONS.reopen, c.id));
  }
  if (v.mode === 'notice') buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Open' }, url: v.inboxUrl, action_id: 'bedside_open' });
  const others = v.channels.filter((ch) => ch !== c.channel).map((ch) => CHANNEL_LABEL[ch]);
  const context = [statusLine(v), ...(others.length ? [`Also reachable by ${others.join(', ')}`] : [])].join(' · ');
  const history = v.mode === 'full' && v.earlier.length
    ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: `Earlier: ${v.earlier.map((m) => `${CHANNEL_LABEL[m.channel]} ${m.fromPatient ? 'patient' : 'staff'}: ${escapeSlack(m.body.slice(0, 120))}`).join(' · ')}` }] }]
    : [];
  const text = v.mode === 'full'
    ? `New ${label} from ${v.contact?.displayName ?? 'a website visitor'} (${c.ref})`
    : `New ${label} conversation ${c.ref}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${header}${body}` } },
      ...history,
      { type: 'context', elements: [{ type: 'mrkdwn', text: context }] },
      { type: 'actions', block_id: `bedside_${c.id}`, elements: buttons },
    ],
  };
}

/** A later patient message, as a reply in the conversation's thread. */
export function renderPatientReply(mode: SlackContentMode, conversation: Conversation, body: string): Rendered {
  if (mode === 'notice') {
    const text = `New message in conversation ${conversation.ref}`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:envelope: ${text}` } }] };
  }
  return {
    text: body.slice(0, 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: quoteForSlack(body) } }],
  };
}

/** A reply or note written in the web inbox, shown in the thread so Slack tells the whole story. */
export function renderStaffMirror(mode: SlackContentMode, message: Message): Rendered | undefined {
  const who = escapeSlack(message.authorName ?? 'Staff');
  if (mode === 'notice') {
    if (message.kind === 'note') return undefined;
    const text = `Answered in the web inbox by ${message.authorName ?? 'staff'}`;
    return { text, blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: `:outbox_tray: Answered in the web inbox by *${who}*` }] }] };
  }
  const label = message.kind === 'note' ? `:memo: Internal note by *${who}*` : `:outbox_tray: *${who}* replied from the web inbox`;
  return {
    text: `${message.authorName ?? 'Staff'}: ${message.body.slice(0, 2900)}`,
    blocks: [
      { type: 'context', elements: [{ type: 'mrkdwn', text: label }] },
      { type: 'section', text: { type: 'mrkdwn', text: escapeSlack(message.body.slice(0, 2900)) } },
    ],
  };
}

const DELIVERY_REASONS: Record<string, string> = {
  opted_out: 'the patient opted out of text messages (STOP); they can reply START to opt back in',
  no_phone_number: 'there is no phone number to send it to',
  outside_24h_window: 'the patient last wrote more than 24 hours ago, so the channel allows only an approved template (WhatsApp) until they write again',
  unsubscribed: 'the patient unsubscribed from the practice on Viber; replies reach them again once they write or subscribe',
};

/** A reply that did not reach the patient: the thread says so, and why (never what it said). */
export function renderDeliveryProblem(message: Message, channel: ChannelKind): Rendered {
  const why = message.deliveryError ? DELIVERY_REASONS[message.deliveryError] ?? `the provider reported error ${message.deliveryError}` : 'the provider gave no reason';
  const text = `A reply by ${message.authorName ?? 'staff'} was not delivered by ${CHANNEL_LABEL[channel]}: ${why}.`;
  return { text, blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: `:warning: ${escapeSlack(text)}` }] }] };
}
