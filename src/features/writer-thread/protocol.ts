/** What the server thread and the patient-message writer thread say to each other. */
import type { AttachmentPolicy } from '../attachments.ts';
import type { PatientMessageInput, PatientMessageRecord } from '../patient-message-write.ts';

export interface WriterThreadData {
  file: string;
  masterKey: { id: string; key: Uint8Array };
  attachmentPolicy: AttachmentPolicy | undefined;
  /** The server checkpointer's request to start the log over (store/sqlite/log-restart.ts), shared memory. */
  restartFlag: Int32Array;
}

export interface WriteRequest {
  id: number;
  input: PatientMessageInput;
  slackEnabled: boolean;
}

/** Errors cross as their name and message: the caller sees what it would have seen in-process. */
export type WriteReply =
  | { id: number; ok: true; record: PatientMessageRecord }
  | { id: number; ok: false; error: { name: string; message: string } };

/** Requests and replies travel in batches: one message-port event per turn, not one per message. */
export type ToThread =
  | { type: 'write'; requests: WriteRequest[] }
  /** Index the words of every message written so far (a search is about to run). */
  | { type: 'catchUp'; id: number }
  /** The server dropped its cached data keys (a rotation): new messages use the keys as stored now. */
  | { type: 'forgetKeys'; orgId: string | undefined }
  | { type: 'stop' };
export type FromThread =
  | { type: 'ready' }
  | { type: 'written'; replies: WriteReply[] }
  | { type: 'caughtUp'; id: number; error?: string };
