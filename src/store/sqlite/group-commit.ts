import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.ts';
import { executeCompiled, runDirectly, type StatementRunner } from '../prepared.ts';

/** Enough to make a commit's cost vanish per transaction, few enough to keep each wait short. */
const MAX_GROUP = 64;
/**
 * A transaction arriving within this long of the last commit means the server is busy: it waits a
 * millisecond for company instead of the end of the event-loop turn. Under load a turn brought one
 * or two frames, so nearly every message paid a commit of its own (its ~15 pages written to the
 * WAL, their share of the fixed cost): groups of four cost 84 µs a message against 133 µs alone.
 * Idle, nothing changes: a lone message still goes at the end of its turn.
 */
const BUSY_MS = 2;
// Compiled once: they run around every transaction.
const SAVEPOINT = CompiledQuery.raw('savepoint grouped');
const RELEASE = CompiledQuery.raw('release grouped');
const ROLLBACK = CompiledQuery.raw('rollback to grouped');

interface Waiting<O> {
  fn: (ops: O) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for SQLite. SQLite has one writer and Kysely one connection, so transactions run one
 * after another anyway; what costs is each COMMIT (writing the WAL frames, now and then a
 * checkpoint), which in the benchmark was the single most expensive statement. Transactions that
 * arrive while one is running wait, as before, and then run together inside one SQLite
 * transaction, each in its own SAVEPOINT:
 *  - atomicity per caller: a caller whose function throws is rolled back to its savepoint and gets
 *    its error; the others are unaffected;
 *  - durability as before: nobody's promise settles until the shared COMMIT has succeeded; if the
 *    COMMIT fails, every caller of the group gets the error and nothing of theirs is kept;
 *  - isolation as before: the functions still run strictly one after another on the one connection.
 * A transaction arriving when nothing is running starts at the end of the current event-loop turn.
 */
export class GroupCommit<O> {
  private readonly waiting: Array<Waiting<O>> = [];
  private running = false;
  private lastCommitAt = -Infinity;

  /**
   * `waitWhenBusy`: off where transactions already arrive in batches (the writer thread gets a
   * turn's worth of messages in one post), so waiting would only add latency.
   */
  private readonly waitWhenBusy: boolean;
  /** Runs the group's prepared statements on the connection the transaction holds. */
  private readonly runner: StatementRunner | undefined;
  /** Runs after each group's commit, before the next group begins (see log-restart.ts). */
  private readonly betweenGroups: (() => void) | undefined;

  constructor(
    private readonly root: Kysely<Database>, private readonly opsFor: (trx: Transaction<Database>) => O,
    options: { waitWhenBusy?: boolean; runner?: StatementRunner; betweenGroups?: () => void } = {},
  ) {
    this.waitWhenBusy = options.waitWhenBusy ?? true;
    this.runner = options.runner;
    this.betweenGroups = options.betweenGroups;
  }

  /**
   * Transactions are running or waiting, or one committed within the last `withinMs`: writes are
   * coming in. Background work on the same connection (the word index) then waits for a pause.
   */
  busy(withinMs: number): boolean {
    return this.running || performance.now() - this.lastCommitAt < withinMs;
  }

  run<T>(fn: (ops: O) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (this.running) return;
      // better-sqlite3 is synchronous, so a transaction never yields to I/O: started at once, each
      // would run alone. Waiting for the end of this turn of the event loop lets the frames that
      // arrived with this one reach here first and join the group; idle, that costs microseconds.
      this.running = true;
      if (this.waitWhenBusy && performance.now() - this.lastCommitAt < BUSY_MS) setTimeout(() => void this.drain(), 1);
      else setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length) {
        const group = this.waiting.splice(0, MAX_GROUP);
        try {
          const outcomes = await this.root.transaction().execute((trx) => {
            const { runner } = this;
            return runner ? runDirectly(trx, runner, () => this.runGroup(trx, group)) : this.runGroup(trx, group);
          });
          outcomes.forEach((o, i) => (o.ok ? group[i]?.resolve(o.value) : group[i]?.reject(o.error)));
        } catch (err) {
          for (const w of group) w.reject(err);
        }
        this.lastCommitAt = performance.now();
        this.betweenGroups?.();
      }
    } finally {
      this.running = false;
    }
  }

  /** Runs inside the shared transaction; Kysely commits it after, or rolls it back if this throws. */
  private async runGroup(trx: Transaction<Database>, group: Array<Waiting<O>>) {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const ops = this.opsFor(trx);
    // Two of these a message: on the connection itself where there is a runner (see drain).
    const run = (q: CompiledQuery) => executeCompiled(trx, q);
    for (const w of group) {
      await run(SAVEPOINT);
      try {
        const value = await w.fn(ops);
        await run(RELEASE);
        outcomes.push({ ok: true, value });
      } catch (error) {
        // If SQLite already abandoned the whole transaction this throws too: the group fails.
        await run(ROLLBACK);
        await run(RELEASE);
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }
}
