import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { KyselyStore } from '../kysely-store.ts';
import { FieldCrypto } from '../field-crypto.ts';
import { cachePreparedStatements } from './statement-cache.ts';
import { InlineLimitPlugin } from '../inline-limit-plugin.ts';
import { BackgroundCheckpointer } from './checkpointer.ts';
import { sqliteStatementRunner } from './direct-statements.ts';
import { copyWhenAsked, logRestartFlag } from './log-restart.ts';
import { ImmediateSqliteDialect, LOCK_WAIT_MS } from './immediate-dialect.ts';
import type { MasterKey } from '../../security/master-key.ts';

/** How large the log file may stay where SQLite itself cuts it back. */
const LOG_FILE_LIMIT = 64 * 1024 * 1024;

/** The database file under a data directory. */
export function sqliteFile(dataDir: string): string {
  return join(dataDir, 'bedside.sqlite');
}

/**
 * The embedded default: one SQLite file under DATA_DIR, in WAL mode so readers never wait on the
 * writer, with foreign keys enforced. `:memory:` is accepted for tests.
 */
export async function openSqliteStore(dataDir: string | ':memory:', masterKey: MasterKey): Promise<KyselyStore> {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    file = sqliteFile(dataDir);
  }
  const sqlite = openConnection(file);
  const checkpointer = file === ':memory:' ? undefined
    : new BackgroundCheckpointer(file, () => {
      // Without that thread, SQLite checkpoints on this connection again, and cuts the log file back.
      if (!sqlite.open) return;
      sqlite.pragma('wal_autocheckpoint = 10000');
      sqlite.pragma(`journal_size_limit = ${LOG_FILE_LIMIT}`);
    });
  const store = new KyselyStore(kyselyOver(sqlite), 'sqlite', new FieldCrypto(masterKey), {
    groupCommit: { waitWhenBusy: true, runner: sqliteStatementRunner(sqlite), ...(checkpointer ? { betweenGroups: copyWhenAsked(logRestartFlag(file), sqlite) } : {}) },
    deferredTerms: true, announceKeyChanges: true, beforeClose: async () => checkpointer?.stop(),
    // After this connection has closed; the writer thread's closes before the store does.
    afterClose: () => checkpointer?.closeFile(),
  });
  await store.migrate();
  return store;
}

/**
 * A second connection to a store the server has opened (and migrated), for the patient-message
 * writer thread: it writes messages and indexes their words, and leaves migrations and
 * checkpoints to the server, except for the last frames of a long log when the server's
 * checkpointer asks through `restartFlag` (its `logRestartFlag(file)`, see log-restart.ts).
 */
export function openSqliteWriterStore(file: string, masterKey: MasterKey, restartFlag: Int32Array): { store: KyselyStore; forgetKeys(orgId?: string): void } {
  const crypto = new FieldCrypto(masterKey);
  const sqlite = openConnection(file);
  // Each message of a group commit runs in a savepoint, whose journal (the pages as they were
  // before it) SQLite keeps in memory only up to 64 KiB and then moves to a temporary file, written
  // and read again through system calls for the rest of the transaction: 40% of SQLite's time per
  // message in a group of 30 (148 against 91 µs). In memory it stays bounded by the group (64
  // messages, a few pages each). Only here: on the server's connection, migrations and bulk
  // statements (retention, key rotation) may sort or journal far more than a group of messages.
  sqlite.pragma('temp_store = MEMORY');
  const store = new KyselyStore(kyselyOver(sqlite), 'sqlite', crypto, {
    groupCommit: { waitWhenBusy: false, runner: sqliteStatementRunner(sqlite), betweenGroups: copyWhenAsked(restartFlag, sqlite) }, deferredTerms: true,
  });
  store.wordIndex?.indexHere();
  // Data keys are read afresh at next use: the server's connection rotated them.
  return { store, forgetKeys: (orgId) => crypto.forget(orgId) };
}

function openConnection(file: string): SqliteDatabase.Database {
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only a power loss can drop the last commit.
  sqlite.pragma('synchronous = NORMAL');
  // Checkpoints run on a worker thread (see checkpointer.ts). SQLite's own stays as a safety net
  // only, should that thread ever fall far behind (~400 MB of log). The log file keeps its size
  // when the log starts over: that thread cuts it back once writes pause, where SQLite would do it
  // inside the next commit.
  sqlite.pragma(`wal_autocheckpoint = ${file === ':memory:' ? 1000 : 100_000}`);
  sqlite.pragma(`journal_size_limit = ${file === ':memory:' ? LOG_FILE_LIMIT : -1}`);
  // 16 MB of page cache (default 2 MB): the word index is written at random places.
  sqlite.pragma('cache_size = -16000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  return sqlite;
}

function kyselyOver(sqlite: SqliteDatabase.Database): Kysely<Database> {
  return new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: cachePreparedStatements(sqlite) }),
    plugins: [new CamelCasePlugin(), new InlineLimitPlugin()],
  });
}
