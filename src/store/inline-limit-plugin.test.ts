import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import { InlineLimitPlugin } from './inline-limit-plugin.ts';

const db = new Kysely<{ t: { id: number } }>({
  dialect: {
    createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new SqliteIntrospector(k), createQueryCompiler: () => new SqliteQueryCompiler(),
  },
  plugins: [new InlineLimitPlugin()],
});
const compiled = (limit: unknown) => db.selectFrom('t').select('id').limit(limit as number).compile();

describe('InlineLimitPlugin', () => {
  it('writes a whole, non-negative limit into the SQL', () => {
    expect(compiled(50)).toMatchObject({ sql: expect.stringMatching(/limit 50$/), parameters: [] });
    expect(compiled(0)).toMatchObject({ sql: expect.stringMatching(/limit 0$/), parameters: [] });
  });

  it('leaves anything else a bound parameter, so only a number ever reaches the SQL text', () => {
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 2, '5', '1; drop table t', Number.NaN]) {
      const q = compiled(bad);
      expect(q.sql).toMatch(/limit \?$/);
      expect(q.parameters).toEqual([bad]);
    }
  });
});
