import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { LOCK_WAIT_MS } from './immediate-dialect.ts';
import { logRestartFlag } from './log-restart.ts';

/**
 * The worker's whole program. Plain JavaScript given as source, so it runs the same from the
 * TypeScript sources, the built files and a test runner, none of which would agree on how to load
 * a separate .ts entry file for a thread.
 */
const WORKER_SOURCE = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqliteModule);
const db = new Database(workerData.file);
// The server's connection holds the write lock in short bursts; a checkpoint waits its turn.
db.pragma('busy_timeout = ' + workerData.lockWaitMs);
function holdingTheLock(mode) {
  // Waits for the write lock and for readers of the old log, but not for long: holding the lock
  // meanwhile would hold up every commit. Busy, it simply tries again after a later round.
  db.pragma('busy_timeout = ' + workerData.restartWaitMs);
  try { db.pragma('wal_checkpoint(' + mode + ')'); } finally { db.pragma('busy_timeout = ' + workerData.lockWaitMs); }
}
/**
 * Flushes the log file to disk from this thread, outside any lock. A checkpoint first syncs the
 * log, and pays for every frame written since the last sync: after a long log under load, 30-35 ms
 * that the writer then spent holding up every message (see log-restart.ts). Only an extra sync:
 * SQLite still syncs what it must, when it must.
 */
function syncLogFile() {
  let fd;
  try {
    fd = fs.openSync(workerData.file + '-wal', 'r');
    fs.fsyncSync(fd);
  } catch {} finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
/**
 * Flushes the database file, through a descriptor the server opened for the thread's whole life
 * (closing one would drop the POSIX locks this process's SQLite connections hold on the file).
 * A passive checkpoint syncs the database file only when it has copied the whole log, which under
 * writes that never pause is never: the copies piled up unsynced, and the writer's own copy at a
 * restart (log-restart.ts) synced all of them, 20-38 ms measured under the benchmark's load, with
 * every message arriving meanwhile waiting. Synced here after each copy, they cost nobody a wait.
 */
function syncDatabaseFile() {
  try { fs.fsyncSync(workerData.fileFd); } catch {}
}
function logFileBytes() {
  try { return fs.statSync(workerData.file + '-wal').size; } catch { return 0; }
}
// Rounds in a row that found no new frame in the log, everything in it copied.
let idleRounds = 0;
let lastLog = -1;
let lastCheckpointed = -1;
// Rounds in a row that found the log long without it having started over in between.
let longRounds = 0;
function restartLongLog(done) {
  // Shorter than last round: it started over meanwhile (fast writes may have made it long again).
  if (done.log < lastLog) longRounds = 0;
  if (++longRounds <= workerData.askRounds) {
    // The log flushed, and what was committed while that copy ran copied too, still without the
    // lock: the writer is left with only the frames committed since (see log-restart.ts).
    syncLogFile();
    db.pragma('wal_checkpoint(PASSIVE)');
    syncDatabaseFile();
    Atomics.store(workerData.restartFlag, 0, 1);
  } else {
    longRounds = 0;
    holdingTheLock('RESTART');
  }
}
const timer = setInterval(() => {
  try {
    // PASSIVE: copies what no reader still needs, never blocks the writer, and syncs the file.
    // On busy or I/O trouble the next round tries again; the WAL keeps every commit meanwhile.
    const [done] = db.pragma('wal_checkpoint(PASSIVE)');
    if (!done) return;
    // Frames were copied (or the log started over and new ones came): flush them to the disk now.
    if (done.checkpointed !== lastCheckpointed || done.log !== lastLog) syncDatabaseFile();
    lastCheckpointed = done.checkpointed;
    if (done.log >= workerData.restartFrames) restartLongLog(done);
    else longRounds = 0;
    idleRounds = done.log === lastLog && done.log === done.checkpointed ? idleRounds + 1 : 0;
    lastLog = done.log;
    if (idleRounds === workerData.idleRounds && logFileBytes() > workerData.keepBytes) holdingTheLock('TRUNCATE');
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
 * The log also has to start over now and then. SQLite starts it from the beginning by itself when
 * a writer begins while every frame has been copied: after any pause in the writes long enough for
 * a passive copy to catch up. Commits arriving back to back never allow that, and the log would
 * grow without end, so once it is `restartFrames` long the writing connections are asked to copy
 * the last frames between two of their transactions, after which the next one starts the log
 * afresh (see log-restart.ts); should the log keep growing for `askRounds` rounds, a RESTART
 * checkpoint forces it, holding the write lock. Either costs the writer a pause (its own copy
 * about a millisecond under the benchmark's load), which is why the bound is generous: at 16 MB it
 * came twice a second under load and was the largest share of the latency tail.
 *
 * Started over, the log file keeps its size: SQLite overwrites it from the beginning. Cutting it
 * back at that moment (`journal_size_limit`) fell inside the next commit, tens of milliseconds on
 * a file of hundreds of megabytes, so the connections leave it alone (see open.ts) and this thread
 * gives the space back instead, with a TRUNCATE checkpoint once nothing has been written for
 * `idleMs`, if the file has grown past `keepBytes`.
 */
export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  /** The database file, for the thread's syncs; open until closeFile (see syncDatabaseFile). */
  private fileFd: number | undefined;

  /**
   * `onFailure`: the thread could not start or died; the caller hands checkpoints back to SQLite.
   * `restartFrames`: the log's length (in 4 KiB frames) from which it is started over while writes
   *   never pause; 65,536 is 256 MB, about six seconds of the benchmark's saturating load.
   * `restartWaitMs`: how long a RESTART or TRUNCATE waits for the write lock and for readers of the old log.
   * `idleMs`, `keepBytes`: the log file is cut back to nothing once no frame has been written for
   *   `idleMs`, if it is larger than `keepBytes`.
   * `askRounds`: rounds the writers are given to start a long log over themselves (log-restart.ts).
   */
  constructor(
    file: string, onFailure: (err: unknown) => void,
    { intervalMs = 250, restartFrames = 65_536, restartWaitMs = 50, idleMs = 2000, keepBytes = 64 * 1024 * 1024, askRounds = 3 } = {},
  ) {
    const sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');
    const idleRounds = Math.max(1, Math.ceil(idleMs / intervalMs));
    const fileFd = this.fileFd = openSync(file, 'r');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file, fileFd, intervalMs, sqliteModule, restartFrames, restartWaitMs, idleRounds, keepBytes, askRounds, restartFlag: logRestartFlag(file), lockWaitMs: LOCK_WAIT_MS,
      },
    });
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

  /**
   * Closes the descriptor the thread synced the database file through. Only once every SQLite
   * connection of this process to the file has closed: closing any descriptor of a file drops all
   * of the process's POSIX locks on it, and SQLite's lock on the database file tells another
   * process (the command line, say) that the log is in use and must not be removed.
   */
  closeFile(): void {
    if (this.fileFd === undefined) return;
    closeSync(this.fileFd);
    this.fileFd = undefined;
  }
}
