/** The outbox suite (retries, outage, dead letters, per-conversation order), on PostgreSQL. */
import { onPostgres } from '../support/postgres-suite.ts';

await onPostgres('outbox on PostgreSQL', () => import('./outbox.test.ts'));
