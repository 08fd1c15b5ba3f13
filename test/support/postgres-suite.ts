/**
 * PostgreSQL suites under vitest: they run when the server answers, fail under CI (CI=true) when
 * it does not, and are skipped with a clear message otherwise.
 */
import { afterAll, describe, it } from 'vitest';
import { ADMIN_URL, postgresProblem } from './postgres.ts';

/**
 * `describe` for a PostgreSQL suite: runs when the server answers, fails under CI when it does not,
 * and is skipped with a clear message otherwise.
 */
export async function describePostgres(name: string, fn: () => void): Promise<void> {
  const problem = await postgresProblem();
  if (!problem) {
    describe(name, fn);
    return;
  }
  const message = `PostgreSQL is not reachable at ${new URL(ADMIN_URL).host} (${problem})`;
  if (process.env.CI === 'true') throw new Error(`${message}: the PostgreSQL suites must run in CI`);
  process.stderr.write(`\n  Skipping "${name}": ${message}. Start PostgreSQL or set TEST_POSTGRES_URL to run it.\n\n`);
  describe.skip(name, fn);
}

/**
 * Runs an integration suite again on PostgreSQL: the suite's own file, loaded with the engine
 * switched, so the very same tests hold on both stores.
 */
export async function onPostgres(name: string, load: () => Promise<unknown>): Promise<void> {
  const problem = await postgresProblem();
  if (problem) {
    await describePostgres(name, () => { it(name, () => undefined); });
    return;
  }
  process.env.BEDSIDE_TEST_ENGINE = 'postgres';
  // Should the worker process go on to another file, that one runs on its own engine again.
  afterAll(() => { delete process.env.BEDSIDE_TEST_ENGINE; });
  await load();
}
