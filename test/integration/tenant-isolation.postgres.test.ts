/** The tenant-isolation suite, on PostgreSQL: the API refuses, and row-level security stands behind it. */
import { onPostgres } from '../support/postgres-suite.ts';

await onPostgres('tenant isolation on PostgreSQL', () => import('./tenant-isolation.test.ts'));
