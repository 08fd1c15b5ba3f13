import type { Compilable, CompiledQuery, Kysely, QueryResult, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { withFields } from '../domain/with-fields.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Runs a compiled query at once, on a connection its caller already holds. */
export interface StatementRunner {
  /** `parameters`, when given, replace the query's own (see PreparedQuery). */
  run<R>(query: CompiledQuery<R>, parameters?: readonly unknown[]): QueryResult<R>;
}

/** Transactions whose statements skip Kysely's executor, while they last (see runDirectly). */
const runners = new WeakMap<Db, StatementRunner>();

/**
 * Runs `fn` with the prepared queries on `trx` executed by `runner`. For a transaction that holds
 * its connection throughout, such as SQLite's group commit: nothing else can use the connection
 * meanwhile, so Kysely's executor has nothing left to arrange.
 */
export async function runDirectly<T>(trx: Transaction<Database>, runner: StatementRunner, fn: () => Promise<T>): Promise<T> {
  runners.set(trx, runner);
  try {
    return await fn();
  } finally {
    runners.delete(trx);
  }
}

/**
 * Runs a compiled query on `db`: by its runner while runDirectly holds it, else through Kysely.
 * `parameters`, when given, replace the query's own; a runner takes them as they are, so the
 * query object is copied only for Kysely's executor.
 */
export async function executeCompiled<R>(db: Db, query: CompiledQuery<R>, parameters?: readonly unknown[]): Promise<QueryResult<R>> {
  const runner = runners.get(db);
  if (runner) return runner.run(query, parameters);
  return db.executeQuery<R>(parameters ? withFields(query, { parameters }) : query);
}

/** Marks where an argument goes; a string, so it passes through Kysely as an ordinary parameter. */
const SLOT = '\u0000arg:';

/**
 * A query Kysely builds and compiles once, then runs again with new arguments. Building a query
 * through Kysely's builder (immutable nodes, frozen at every step, then the camel-case rewrite and
 * the compile) cost more than running it in SQLite on the path every patient message takes; the
 * SQL text and parameter order never change between calls, only the values.
 *
 * `build` receives `arg(name)`, which stands for that argument wherever Kysely would take a value;
 * constants written in the query stay as they are. One compiled form per engine (placeholders
 * differ) and per `shape`, for queries whose columns depend on which fields are given.
 */
export class PreparedQuery<A extends object, R> {
  /** By engine, then by shape: two look-ups rather than a key string built for every call. */
  private readonly compiled = new Map<string, Map<string, { query: CompiledQuery<R>; args: Array<keyof A | undefined> }>>();

  constructor(private readonly build: (db: Kysely<Database>, arg: <K extends keyof A>(name: K) => A[K], shape: A) => Compilable<R>) {}

  /**
   * `shape` names the fields of `args` that the query's columns depend on, in the order the build
   * meets them (the same fields in another order simply compile once more).
   */
  async execute(db: Db, engine: string, args: A, shape = ''): Promise<QueryResult<R>> {
    let byShape = this.compiled.get(engine);
    if (!byShape) this.compiled.set(engine, (byShape = new Map()));
    let c = byShape.get(shape);
    if (!c) {
      const query = this.build(db, (name) => `${SLOT}${String(name)}` as never, args).compile();
      const slots = query.parameters.map((p) => (typeof p === 'string' && p.startsWith(SLOT) ? (p.slice(SLOT.length) as keyof A) : undefined));
      c = { query, args: slots };
      byShape.set(shape, c);
    }
    const { query, args: slots } = c;
    const parameters = query.parameters.map((p, i) => {
      const name = slots[i];
      // An absent optional field is stored as NULL, as Kysely would leave the column to default to.
      return name === undefined ? p : (args[name] ?? null);
    });
    return executeCompiled(db, query, parameters);
  }

  async rows(db: Db, engine: string, args: A, shape = ''): Promise<R[]> {
    return (await this.execute(db, engine, args, shape)).rows;
  }
}
