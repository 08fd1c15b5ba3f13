import { z } from 'zod';
import { jobKinds } from '../../features/job-kinds.ts';
import { mayHaveBeenApplied } from '../../jobs/errors.ts';
import type { JobWorker } from '../../jobs/worker.ts';
import type { TwilioApi } from './api.ts';
import { mediaType, type AttachmentPolicy, type IncomingAttachment } from '../../features/attachments.ts';
import type { ConversationService } from '../../features/conversations.ts';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/types.ts';

const noticePayload = z.object({ to: z.string(), text: z.string() });
const mediaPayload = z.object({
  messageId: z.number().int(), messageSid: z.string(), media: z.array(z.object({ url: z.string(), contentType: z.string() })),
});

export interface TwilioHandlerDeps {
  api: TwilioApi;
  statusCallbackUrl: string;
  store: Store;
  conversations: ConversationService;
  attachmentPolicy: AttachmentPolicy;
  log: Logger;
}

export function registerTwilioHandlers(worker: JobWorker, deps: TwilioHandlerDeps): void {
  // The keyword confirmations: the only thing ever sent to a number that just replied STOP.
  worker.register(jobKinds.smsNotice, async (job) => {
    const { to, text } = noticePayload.parse(job.payload);
    if (mayHaveBeenApplied(job) && await deps.api.findSent(to, text)) return;
    await deps.api.sendMessage({ to, body: text, statusCallback: deps.statusCallbackUrl });
  });

  worker.register(jobKinds.smsMedia, async (job) => {
    const { messageId, messageSid, media } = mediaPayload.parse(job.payload);
    const message = await deps.store.getMessage(job.orgId ?? '', messageId);
    if (!message) return; // erased or past retention since: nothing to attach to
    const files: Array<IncomingAttachment & { id: string }> = [];
    let tooLarge = 0;
    for (const [i, m] of media.entries()) {
      const got = await deps.api.fetchMedia(m.url, deps.attachmentPolicy.maxBytes);
      if (!got.ok) {
        tooLarge++;
        continue;
      }
      // The id follows the media's place in the MMS, so a retried job stores nothing twice.
      files.push({ id: `att_${messageSid}_${i}`, filename: `mms-${i + 1}${extensionFor(m.contentType)}`, contentType: m.contentType, data: got.data });
    }
    const refused = await deps.conversations.addAttachments(message, files);
    if (tooLarge || refused.length) deps.log.warn({ messageId, refused: tooLarge + refused.length }, 'mms media not kept');
  });
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg', 'image/png': '.png', 'image/gif': '.gif', 'image/webp': '.webp', 'image/heic': '.heic',
  'application/pdf': '.pdf', 'text/plain': '.txt', 'video/mp4': '.mp4', 'audio/amr': '.amr', 'audio/mpeg': '.mp3',
};

function extensionFor(contentType: string): string {
  return EXTENSIONS[mediaType(contentType)] ?? '';
}
