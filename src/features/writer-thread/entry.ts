/**
 * The patient-message writer thread's program: a connection of its own to the server's SQLite file,
 * on which it runs `writePatientMessage` for every request, grouped into shared commits as the
 * server's own store does, and indexes the messages' words behind them. See writer-thread.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteWriterStore } from '../../store/sqlite/open.ts';
import { writePatientMessage, type PatientMessageInput } from '../patient-message-write.ts';
import type { FromThread, ToThread, WriteReply, WriteRequest, WriterThreadData } from './protocol.ts';
import { withFields } from '../../domain/with-fields.ts';

const port = parentPort;
if (!port) throw new Error('the writer thread runs as a worker thread');
const data = workerData as WriterThreadData;
const { store, forgetKeys } = openSqliteWriterStore(data.file, { id: data.masterKey.id, key: Buffer.from(data.masterKey.key) }, data.restartFlag);
const rules = (slackEnabled: boolean) => ({
  now: Date.now, slackEnabled, ...(data.attachmentPolicy ? { attachmentPolicy: data.attachmentPolicy } : {}),
});

let replies: WriteReply[] = [];
// A count, not a set of the writes' promises: see domain/waiting-by-id.ts for what a hash table
// churning thousands of entries a second costs the young generation.
let inFlight = 0;
let allWritten: (() => void) | undefined;
const send = (m: FromThread) => port.postMessage(m);
function flush(): void {
  if (!replies.length) return;
  const batch = replies;
  replies = [];
  send({ type: 'written', replies: batch });
}
function reply(r: WriteReply): void {
  // Replies of one group commit settle together, in the same round of microtasks: they leave in
  // one post as soon as that round is over. Not at setImmediate: the next group runs in between
  // (its statements are synchronous), and its whole duration used to be added to these replies.
  if (replies.push(r) === 1) queueMicrotask(flush);
}

async function write(req: WriteRequest): Promise<void> {
  inFlight++;
  try {
    const record = await store.transaction((tx) => writePatientMessage(tx, revive(req.input), rules(req.slackEnabled)));
    reply({ id: req.id, ok: true, record });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply({ id: req.id, ok: false, error: { name: e.name, message: e.message } });
  } finally {
    if (--inFlight === 0) allWritten?.();
  }
}

/** Buffers arrive as plain Uint8Arrays. */
function revive(input: PatientMessageInput): PatientMessageInput {
  if (!input.attachments?.length) return input;
  const attachments = input.attachments.map((a) => withFields(a, { data: Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength) }));
  return withFields(input, { attachments });
}

port.on('message', (m: ToThread) => {
  if (m.type === 'forgetKeys') {
    forgetKeys(m.orgId);
    return;
  }
  if (m.type === 'catchUp') {
    const done = (error?: string) => send({ type: 'caughtUp', id: m.id, ...(error ? { error } : {}) });
    void (store.wordIndex?.catchUp() ?? Promise.resolve()).then(() => done(), (err: unknown) => done(err instanceof Error ? err.message : String(err)));
    return;
  }
  if (m.type === 'write') {
    for (const req of m.requests) void write(req);
    return;
  }
  if (m.type !== 'stop') return;
  // Every request already received is written and answered before the connection closes; the
  // thread then ends, which the server sees as its exit.
  const written = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { allWritten = resolve; });
  void written.then(() => store.close()).finally(() => {
    flush();
    port.close();
  });
});
send({ type: 'ready' });
