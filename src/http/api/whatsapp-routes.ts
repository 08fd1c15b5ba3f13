/**
 * POST /api/conversations/:id/whatsapp-template: an approved template, the only message WhatsApp
 * accepts outside the 24-hour customer-service window. Recorded as a staff message (staff see
 * which template and parameters went out) and delivered through the outbox like any reply.
 */
import { z } from 'zod';
import { CLIENT_ID_PATTERN } from '../../channels/widget/protocol.ts';
import { renderTemplateBody, TEMPLATE_SOURCE, templateSpecSchema } from '../../channels/whatsapp/template.ts';
import { AppError } from '../../errors.ts';
import type { AuditTrail } from '../../features/audit.ts';
import type { ConversationService } from '../../features/conversations.ts';
import type { Store } from '../../store/types.ts';
import { messageSchema, toApiMessage } from './present.ts';
import type { ApiRegistry } from './registry.ts';
import { staffActor } from './session-guard.ts';

export function whatsappRoutes(api: ApiRegistry, { store, conversations, audit }: { store: Store; conversations: ConversationService; audit: AuditTrail }): void {
  api.route({
    method: 'POST', url: '/api/conversations/:id/whatsapp-template', tag: 'conversations', access: 'agent',
    summary: 'Send an approved WhatsApp template (outside the 24-hour window, free text is refused); clientId makes a retry harmless',
    params: z.object({ id: z.string().min(1).max(64) }),
    body: templateSpecSchema.extend({ clientId: z.string().regex(CLIENT_ID_PATTERN) }).strict(),
    response: { status: 201, schema: z.object({ message: messageSchema }) },
    handler: async ({ auth, params, body, ip }) => {
      const c = await store.getConversation(auth.org.id, params.id);
      if (!c) throw new AppError('not_found', 404, 'Conversation not found');
      if (c.channel !== 'whatsapp') throw new AppError('not_whatsapp', 409, 'Templates are sent only in WhatsApp conversations');
      const { message } = await conversations.recordStaffReply({
        conversation: c, staff: auth.account, internal: false, source: TEMPLATE_SOURCE, sourceId: `${auth.account.id}:${body.clientId}`,
        body: renderTemplateBody({ name: body.name, language: body.language, parameters: body.parameters }),
      });
      await audit.record(store, staffActor(auth, ip), 'message.template', 'success', { type: 'message', id: String(message.id) }, { template: body.name });
      return { message: toApiMessage(message, c.channel) };
    },
  });
}
