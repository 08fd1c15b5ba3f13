import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.ts';
import type { MasterKey } from '../../security/master-key.ts';
import type { AttachmentPolicy } from '../attachments.ts';
import type { DataKeyChanges, DeferredWordIndex } from '../../store/types.ts';
import type { PatientMessageInput, PatientMessageRecord, PatientMessageWriter } from '../patient-message-write.ts';
import type { FromThread, ToThread, WriteRequest, WriterThreadData } from './protocol.ts';
import { logRestartFlag } from '../../store/sqlite/log-restart.ts';
import { WaitingById } from '../../domain/waiting-by-id.ts';
import { withFields } from '../../domain/with-fields.ts';

/**
 * The floor, in MB, under the writer thread's old generation: V8 skips full collections below it.
 * Under load each of this thread's scavenges promotes a little of what the messages just written
 * left behind (2-3 MB a second at 2,563 messages a second, none of it still in use), and with V8's
 * own limit, about twice what is live (30-35 MB), a full collection came every 2 to 4 seconds: a
 * 4-7 ms pause of the thread every message waits for, then a group of 30 to 50 messages that had
 * piled up meanwhile, the largest latency episodes in the benchmark. With the floor it comes about
 * every 40 s under that load, and never at rest. Only this thread's heap: set around its start.
 * (Most of that promotion was copies made with a leading spread, see domain/with-fields.ts; since
 * they are gone it is about a quarter, and the floor is further away.)
 */
const OLD_GENERATION_FLOOR_MB = 128;
/** The flag as every other heap gets it: as given on the command line, else V8's default. */
const OLD_SPACE_AS_GIVEN = process.execArgv.find((a) => /^--initial[-_]old[-_]space[-_]size=/.test(a)) ?? '--initial-old-space-size=0';

export interface WriterThreadOptions {
  /** The SQLite file, already opened and migrated by the server's store. */
  file: string;
  masterKey: MasterKey;
  attachmentPolicy: AttachmentPolicy | undefined;
  /** Takes over should the thread die: the server's own transaction. */
  fallback: PatientMessageWriter;
  /** The server store's word index: the thread indexes while it runs, the server when it does not. */
  wordIndex: DeferredWordIndex | undefined;
  log: Logger;
  /** The server store's data-key rotations: new messages are sealed under the new key at once. */
  dataKeyChanges: DataKeyChanges | undefined;
}

/**
 * Patients' messages written on a thread of their own, for the embedded SQLite store.
 *
 * Why: the server is one event-loop thread, and SQLite is synchronous. Writing a message (its
 * conversation found and updated, the sealed row with its indexes, the commit) was over 40% of that
 * thread's time under load, during which no socket was read or written, while the machine's other
 * core sat idle. Here the server thread hands the message over as plain data and gets the record
 * back; the writing runs beside it, on its own connection, with the same code
 * (`writePatientMessage`) and the same group commit. Staff replies, state changes and everything
 * else still write on the server's connection; both connections take the write lock at BEGIN
 * (store/sqlite/immediate-dialect.ts), so they take turns and never see a stale snapshot.
 *
 * A reply comes only after the commit, so a message is never confirmed before it is durable. If
 * the thread dies, messages it had not answered fail: unacknowledged, the widget sends them again
 * once it reconnects and a vendor redelivers its webhook, and the client or vendor id keeps each
 * single. Later ones are written by `fallback`.
 */
export class PatientMessageThread implements PatientMessageWriter {
  private readonly pending = new WaitingById<{ resolve: (r: PatientMessageRecord) => void; reject: (e: Error) => void }>();
  private readonly catchUps = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private queue: WriteRequest[] = [];
  private nextId = 1;
  private alive = true;
  private readonly stopped: Promise<void>;

  private constructor(private readonly worker: Worker, private readonly options: WriterThreadOptions) {
    this.stopped = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (m: FromThread) => this.onMessage(m));
    worker.on('error', (err) => options.log.error({ err }, 'patient-message writer thread failed'));
    worker.once('exit', (code) => this.onExit(code));
    options.wordIndex?.indexElsewhere(() => this.catchUpWordIndex());
    // Posted before any later write request, so those are sealed under the keys as now stored.
    options.dataKeyChanges?.subscribe((orgId) => { if (this.alive) this.post({ type: 'forgetKeys', orgId }); });
  }

  /** Starts the thread and waits until its connection is open. */
  static async start(options: WriterThreadOptions): Promise<PatientMessageThread> {
    const data: WriterThreadData = {
      file: options.file, masterKey: { id: options.masterKey.id, key: new Uint8Array(options.masterKey.key) },
      attachmentPolicy: options.attachmentPolicy, restartFlag: logRestartFlag(options.file),
    };
    // V8 reads the flag when it creates the thread's heap, on that thread, before the thread runs
    // any JavaScript ('online'): set for no longer than that, so no other thread's heap gets it.
    v8.setFlagsFromString(`--initial-old-space-size=${OLD_GENERATION_FLOOR_MB}`);
    const restoreFlag = () => v8.setFlagsFromString(OLD_SPACE_AS_GIVEN);
    const worker = threadProgram(data);
    worker.once('online', restoreFlag);
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the writer thread exited (code ${code}) before it was ready`));
      const onReady = (m: FromThread) => {
        if (m.type !== 'ready') return;
        worker.off('message', onReady);
        worker.off('error', reject);
        worker.off('exit', onExit);
        resolve();
      };
      worker.on('message', onReady);
      worker.once('error', reject);
      worker.once('exit', onExit);
    }).finally(() => {
      // Also when the thread failed before it came online; a second restore changes nothing.
      worker.off('online', restoreFlag);
      restoreFlag();
    });
    return new PatientMessageThread(worker, options);
  }

  write(input: PatientMessageInput, slackEnabled: boolean): Promise<PatientMessageRecord> {
    if (!this.alive) return this.options.fallback.write(input, slackEnabled);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      // Only the inbox's id and organization cross: with its settings it was over half of every
      // request's bytes, copied on this thread and rebuilt on the other for each message.
      const request = { id, input: withFields(input, { inbox: { id: input.inbox.id, orgId: input.inbox.orgId } }), slackEnabled };
      // Every message of this event-loop turn crosses in one post.
      if (this.queue.push(request) === 1) setImmediate(() => this.flush());
    });
  }

  /** Resolves once every message written so far is in the word index. */
  catchUpWordIndex(): Promise<void> {
    if (!this.alive) return this.options.wordIndex?.catchUp() ?? Promise.resolve();
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.catchUps.set(id, { resolve, reject });
      this.post({ type: 'catchUp', id });
    });
  }

  /** Lets the thread finish and answer what it was given, then closes its connection. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.flush();
    // From here on, new messages are written (and indexed) on the server thread.
    this.release();
    this.post({ type: 'stop' });
    const force = setTimeout(() => void this.worker.terminate(), 10_000);
    await this.stopped;
    clearTimeout(force);
  }

  private release(): void {
    this.alive = false;
    this.options.wordIndex?.indexHere();
  }

  private flush(): void {
    if (!this.queue.length) return;
    const requests = this.queue;
    this.queue = [];
    try {
      this.post({ type: 'write', requests });
    } catch (err) {
      // Not sent (a value that cannot be copied to the thread): nothing of this batch was written.
      for (const { id } of requests) this.pending.take(id)?.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private post(m: ToThread): void {
    this.worker.postMessage(m);
  }

  private onMessage(m: FromThread): void {
    if (m.type === 'caughtUp') {
      const waiting = this.catchUps.get(m.id);
      this.catchUps.delete(m.id);
      if (m.error) waiting?.reject(new Error(m.error));
      else waiting?.resolve();
    }
    if (m.type !== 'written') return;
    for (const r of m.replies) {
      const waiting = this.pending.take(r.id);
      if (r.ok) waiting?.resolve(r.record);
      else waiting?.reject(Object.assign(new Error(r.error.message), { name: r.error.name }));
    }
  }

  private onExit(code: number): void {
    if (this.alive) {
      this.options.log.error({ code }, 'patient-message writer thread exited; writing on the server thread from now on');
      this.release();
    }
    for (const waiting of this.catchUps.values()) void this.options.wordIndex?.catchUp().then(waiting.resolve, waiting.reject);
    this.catchUps.clear();
    // Never handed over: written here instead.
    for (const { id, input, slackEnabled } of this.queue) {
      const waiting = this.pending.take(id);
      if (waiting) this.options.fallback.write(input, slackEnabled).then(waiting.resolve, waiting.reject);
    }
    this.queue = [];
    // Handed over and not answered: perhaps written, perhaps not. The sender tries again (see the
    // class comment), and its client or vendor id keeps the message single.
    for (const waiting of this.pending.takeAll()) waiting.reject(new Error('the writer thread stopped before confirming the message'));
  }
}

/**
 * The thread's program is entry.js beside this file once built. From the TypeScript sources (tests,
 * `npm run dev`), entry.ts is loaded through tsx's require hook: Node 20 does not apply module
 * loader hooks, the way tsx's ESM loader works, to a worker thread's own imports.
 */
function threadProgram(workerData: WriterThreadData): Worker {
  const here = fileURLToPath(import.meta.url);
  if (extname(here) !== '.ts') return new Worker(new URL('./entry.js', import.meta.url), { workerData });
  const require = createRequire(import.meta.url);
  const source = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();
require(${JSON.stringify(join(dirname(here), 'entry.ts'))});`;
  return new Worker(source, { eval: true, workerData });
}
