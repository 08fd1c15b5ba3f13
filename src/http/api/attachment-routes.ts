/**
 * Files patients sent, downloaded by staff one at a time. Always a download, never rendered in
 * the app's origin: a sent HTML or SVG file cannot run script against the inbox.
 */
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { AuditTrail } from '../../features/audit.ts';
import type { Store } from '../../store/types.ts';
import type { ApiRegistry } from './registry.ts';
import { staffActor } from './session-guard.ts';

const idParams = z.object({ id: z.string().min(1).max(64) });

/** RFC 6266: an ASCII fallback and the UTF-8 name. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function attachmentRoutes(api: ApiRegistry, deps: { store: Store; audit: AuditTrail }): void {
  const { store, audit } = deps;
  api.route({
    method: 'GET', url: '/api/attachments/:id', tag: 'conversations', access: 'agent',
    summary: 'Download a file a patient sent (always as a download)', params: idParams,
    response: { description: 'The file' },
    handler: async ({ auth, params, reply, ip }) => {
      const file = await store.attachments.get(auth.org.id, params.id);
      if (!file) throw new AppError('not_found', 404, 'Attachment not found');
      await audit.record(store, staffActor(auth, ip), 'attachment.download', 'success', { type: 'attachment', id: file.id }, { messageId: file.messageId });
      return reply.type(file.contentType)
        .header('content-disposition', contentDisposition(file.filename))
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(file.data);
    },
  });
}
