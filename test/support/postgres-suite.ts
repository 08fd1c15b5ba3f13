/**
 * PostgreSQL suites under vitest: they run when the server answers, and fail, naming the server
 * they looked for, when it does not. Never skipped: a run that quietly stopped testing the
 * PostgreSQL store would look as green as one that tested it.
 */
import { afterAll, describe, it } from 'vitest';
import { ADMIN_URL, postgresProblem } from './postgres.ts';

/** `describe` for a PostgreSQL suite: runs when the server answers, one failing test when it does not. */
export async function describePostgres(name: string, fn: () => void): Promise<void> {
  const problem = await postgresProblem();
  if (!problem) {
    describe(name, fn);
    return;
  }
  describe(name, () => {
    it('needs PostgreSQL', () => {
      throw new Error(`PostgreSQL is not reachable at ${new URL(ADMIN_URL).host} (${problem}): start it, or set TEST_POSTGRES_URL`);
    });
  });
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
