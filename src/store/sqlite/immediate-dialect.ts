import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');

/**
 * SQLite with transactions that take the write lock when they begin. The file has two writing
 * connections (the server's and the patient-message writer thread's, see
 * features/writer-thread/). A plain (deferred) BEGIN reads first and asks for the lock at its first
 * write; if the other connection committed in between, SQLite cannot upgrade the stale snapshot and
 * fails at once with SQLITE_BUSY, without waiting. BEGIN IMMEDIATE waits its turn (busy_timeout)
 * instead, so each transaction runs whole against the latest data.
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
    await connection.executeQuery(BEGIN_IMMEDIATE);
  }
}
