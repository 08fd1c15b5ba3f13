import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const NO_WAIT = CompiledQuery.raw('pragma busy_timeout = 0');
/** How long a statement waits for the write lock before it fails as busy. */
export const LOCK_WAIT_MS = 5000;
const WAIT = CompiledQuery.raw(`pragma busy_timeout = ${LOCK_WAIT_MS}`);

/**
 * SQLite with transactions that take the write lock when they begin. The file has two writing
 * connections (the server's and the patient-message writer thread's, see
 * features/writer-thread/). A plain (deferred) BEGIN reads first and asks for the lock at its first
 * write; if the other connection committed in between, SQLite cannot upgrade the stale snapshot and
 * fails at once with SQLITE_BUSY, without waiting. BEGIN IMMEDIATE waits its turn instead, so each
 * transaction runs whole against the latest data.
 *
 * Waiting: SQLite waits for a lock by sleeping the calling thread, longer and longer (1, 2, 5, 10,
 * ... 100 ms). On the server's thread that means no socket moves meanwhile (it measured as a fifth
 * of that thread's time under load), and on either thread a wait that overshoots the other's
 * commit by tens of milliseconds. So BEGIN gives up at once when the lock is taken and tries again
 * every millisecond, with the event loop free in between.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  private readonly settings: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.settings = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const deadline = performance.now() + LOCK_WAIT_MS;
    // The connection is this transaction's until it ends, so nothing else runs on it meanwhile
    // with the shorter wait.
    await connection.executeQuery(NO_WAIT);
    try {
      for (;;) {
        try {
          await connection.executeQuery(BEGIN_IMMEDIATE);
          return;
        } catch (err) {
          if (!isBusy(err) || performance.now() > deadline) throw err;
        }
        await sleep(1);
      }
    } finally {
      await connection.executeQuery(WAIT);
    }
  }
}

function isBusy(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'SQLITE_BUSY';
}
