import { z } from 'zod';
import { jobKinds } from '../../features/job-kinds.ts';
import { mayHaveBeenApplied } from '../../jobs/errors.ts';
import type { JobWorker } from '../../jobs/worker.ts';
import type { TwilioApi } from './api.ts';

const noticePayload = z.object({ to: z.string(), text: z.string() });

/** The keyword confirmations: the only thing ever sent to a number that just replied STOP. */
export function registerTwilioHandlers(worker: JobWorker, deps: { api: TwilioApi; statusCallbackUrl: string }): void {
  worker.register(jobKinds.smsNotice, async (job) => {
    const { to, text } = noticePayload.parse(job.payload);
    if (mayHaveBeenApplied(job) && await deps.api.findSent(to, text)) return;
    await deps.api.sendMessage({ to, body: text, statusCallback: deps.statusCallbackUrl });
  });
}
