import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { LOCK_WAIT_MS } from './immediate-dialect.ts';

/**
 * The worker's whole program. Plain JavaScript given as source, so it runs the same from the
 * TypeScript sources, the built files and a test runner, none of which would agree on how to load
 * a separate .ts entry file for a thread.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqliteModule);
const db = new Database(workerData.file);
// The server's connection holds the write lock in short bursts; a checkpoint waits its turn.
db.pragma('busy_timeout = ' + workerData.lockWaitMs);
function restart() {
  // Waits for the write lock and for readers of the old log, but not for long: holding the lock
  // meanwhile would hold up every commit. Busy, it simply tries again after the next round.
  db.pragma('busy_timeout = ' + workerData.restartWaitMs);
  try { db.pragma('wal_checkpoint(RESTART)'); } finally { db.pragma('busy_timeout = ' + workerData.lockWaitMs); }
}
const timer = setInterval(() => {
  try {
    // PASSIVE: copies what no reader still needs, never blocks the writer, and syncs the file.
    // On busy or I/O trouble the next round tries again; the WAL keeps every commit meanwhile.
    const [done] = db.pragma('wal_checkpoint(PASSIVE)');
    if (done && done.log >= workerData.restartFrames) restart();
  } catch {}
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * WAL checkpoints off the server's thread. In WAL mode every commit appends pages to the
 * write-ahead log, and from time to time they must be copied back into the database file (and
 * the file synced). Left to SQLite's automatic checkpoint, that copy ran inside whichever commit
 * crossed the threshold, on the event loop: tens of milliseconds during which no patient message
 * or staff event moved, the largest latency spikes under load, on a machine whose second core sat
 * idle. A worker thread with its own connection does it instead, with a passive checkpoint that
 * never blocks the writer. Durability is unchanged: a commit is in the WAL either way.
 *
 * The log also has to start over now and then. SQLite starts it from the beginning only when a
 * writer begins while every frame has been copied, which commits arriving back to back never
 * allow: under the benchmark's load the log grew by some 60 MB a second, to 400 MB, and cutting it
 * back when it finally restarted stalled a commit for 100 ms. So once the log is `restartFrames`
 * long, a RESTART checkpoint follows the passive one: it copies just the frames committed since,
 * holding the write lock for that short copy, and has the next writer start the log afresh.
 */
export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  /**
   * `onFailure`: the thread could not start or died; the caller hands checkpoints back to SQLite.
   * `restartFrames`: the log's length (in 4 KiB frames) from which it is started over; 4,096 is 16 MB.
   * `restartWaitMs`: how long a restart waits for the write lock and for readers of the old log.
   */
  constructor(file: string, onFailure: (err: unknown) => void, { intervalMs = 250, restartFrames = 4096, restartWaitMs = 50 } = {}) {
    const sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, intervalMs, sqliteModule, restartFrames, restartWaitMs, lockWaitMs: LOCK_WAIT_MS } });
    this.worker.on('error', onFailure);
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    // Never what keeps the process alive.
    this.worker.unref();
  }

  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    const timeout = setTimeout(() => void this.worker.terminate(), 2000);
    await this.exited;
    clearTimeout(timeout);
  }
}
