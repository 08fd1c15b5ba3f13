import type { Inbox, Message } from '../../domain/types.ts';
import type { WidgetInboxInfo, WidgetMessage } from './protocol.ts';

/** What a visitor may see of a message: no internal ids beyond the cursor, no staff ids. */
export function toWidgetMessage(m: Message): WidgetMessage {
  return {
    id: m.id,
    ...(m.clientId ? { clientId: m.clientId } : {}),
    from: m.direction === 'in' ? 'patient' : 'staff',
    body: m.body,
    ...(m.direction === 'out' && m.authorName ? { authorName: m.authorName } : {}),
    at: new Date(m.createdAt).toISOString(),
  };
}

export function toWidgetInboxInfo(inbox: Inbox): WidgetInboxInfo {
  return { name: inbox.name, greeting: inbox.settings.greeting, color: inbox.settings.color, preChat: inbox.settings.preChat };
}
