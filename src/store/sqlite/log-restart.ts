import type { Database as SqliteDatabase } from 'better-sqlite3';

/**
 * Starting the write-ahead log over, under writes that never pause, without handing the write
 * lock to another thread.
 *
 * SQLite starts the log from its beginning when a transaction begins to write while every frame
 * of it has been copied into the database file. Commits arriving back to back leave no such
 * moment: frames are appended while each copy runs. A RESTART checkpoint on the checkpointer's
 * thread forces it, holding the write lock while it syncs the log and copies the last frames;
 * after a 256 MB log under load that sync covered every frame written since the last one, and the
 * writer waited 25-37 ms each time, every message arriving meanwhile with it.
 *
 * So the checkpointer flushes the log file itself, copies once more (all outside any lock), and
 * raises a flag; the connection that writes next copies the frames committed since, between two
 * of its transactions (a passive checkpoint), and its next transaction starts the log over. That
 * copy syncs the log and the database file; the checkpointer has just synced both, so it syncs
 * only its own few pages: 0.2-1.9 ms for its three syncs under the benchmark's load, where the
 * database file's sync alone took 20-38 ms while the checkpointer left that file unsynced. No lock changes hands. The checkpointer still forces a RESTART
 * if the log keeps growing (a reader holding an old snapshot, or no writer taking the turn).
 *
 * The flag is shared memory, so that the writer thread's connection sees it too.
 */
const flags = new Map<string, Int32Array>();

/** The flag for one database file, shared by its checkpointer and its writing connections. */
export function logRestartFlag(file: string): Int32Array {
  let flag = flags.get(file);
  if (!flag) flags.set(file, (flag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))));
  return flag;
}

/** What a writing connection runs between two transactions: the copy, when the checkpointer asked. */
export function copyWhenAsked(flag: Int32Array, sqlite: SqliteDatabase): () => void {
  return () => {
    // After every group commit: the shared flag first, the connection's state only when asked.
    // One connection takes each request; the other finds the flag already down.
    if (Atomics.load(flag, 0) !== 1 || sqlite.inTransaction || Atomics.compareExchange(flag, 0, 1, 0) !== 1) return;
    try {
      sqlite.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or failing: the log stays long, and the checkpointer asks again or restarts it itself.
    }
  };
}
