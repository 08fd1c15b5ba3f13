/** The crash and restart suite, on PostgreSQL: killed mid-delivery, nothing lost or sent twice. */
import { onPostgres } from '../support/postgres-suite.ts';

await onPostgres('restarts on PostgreSQL', () => import('./restart.test.ts'));
