/**
 * Opens the configured store: PostgreSQL when a database URL is given, else the embedded SQLite
 * file under the data directory. The server and the command line both open it through here.
 */
import type { MasterKey } from '../security/master-key.ts';
import { openSqliteStore } from './sqlite/open.ts';
import type { Store } from './types.ts';

export interface StoreSettings {
  dataDir: string;
  databaseUrl: string | undefined;
  databaseMigrationUrl?: string | undefined;
  databasePoolMax?: number;
}

export async function openConfiguredStore(settings: StoreSettings, masterKey: MasterKey): Promise<Store> {
  if (!settings.databaseUrl) return openSqliteStore(settings.dataDir, masterKey);
  // Loaded only when asked for: the embedded default starts without the PostgreSQL driver.
  const { openPostgresStore } = await import('./postgres/open.ts');
  return openPostgresStore(settings.databaseUrl, masterKey, {
    poolMax: settings.databasePoolMax,
    ...(settings.databaseMigrationUrl ? { migrationUrl: settings.databaseMigrationUrl } : {}),
  });
}
