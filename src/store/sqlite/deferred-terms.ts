import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import { KeyUnavailableError, type FieldCrypto } from '../field-crypto.ts';
import type { Database } from '../schema.ts';
import type { DeferredWordIndex } from '../types.ts';
import { hashedTerms, RecentTermHashes } from '../term-index.ts';
import { PreparedQuery } from '../prepared.ts';

/**
 * Messages per transaction: about a millisecond of work. Messages being written wait behind a
 * batch that has started, so batches of 100 (5 ms and more) showed in the write latency as a
 * bump every time the indexer woke.
 */
const BATCH = 20;
const INTERVAL_MS = 200;
/**
 * While messages keep being written (see yieldWhile), the index waits for a pause, but never falls
 * further behind than this. It shares the writer's connection and thread, and under load its
 * batches took a fifth of that thread's time, in turns that every message arriving meanwhile
 * waited behind. Search loses nothing by the wait: it indexes what is pending first.
 */
const MAX_LAG_MS = 10_000;

/** A whole batch in one statement, passed as one JSON array: no per-row statement or SQL building. */
const insertBatch = (rows: Array<[number, string]>) => CompiledQuery.raw(
  `insert into message_term_index (rowid, terms)
   select json_extract(value, '$[0]'), json_extract(value, '$[1]') from json_each(?)`,
  [JSON.stringify(rows)],
);

// Built once (see prepared.ts): they run with every batch.
const position = new PreparedQuery<{ name: string }, { throughMessageId: number }>(
  (db, arg) => db.selectFrom('searchIndexProgress').select('throughMessageId').where('name', '=', arg('name')),
);
const pendingMessages = new PreparedQuery<{ from: number; limit: number }, { id: number; orgId: string; body: string }>(
  (db, arg) => db.selectFrom('messages').select(['id', 'orgId', 'body']).where('id', '>', arg('from')).orderBy('id').limit(arg('limit')),
);
const movePosition = new PreparedQuery<{ name: string; through: number }, never>(
  (db, arg) => db.updateTable('searchIndexProgress').set({ throughMessageId: arg('through') }).where('name', '=', arg('name')),
);

/**
 * SQLite's keyed word index (see migrations/014): an FTS5 table of each message's terms, written
 * in batches behind the messages rather than inside each message's transaction.
 *
 * Why: as rows of a (org, term, message) B-tree written with each message, a message's ten-odd
 * terms landed on as many random pages, each copied whole into the WAL at every commit: with a
 * real vocabulary (thousands of words) 300-400 µs a message, more than everything else it costs.
 * FTS5 keeps a batch's postings in memory and writes them as one segment: about 20 µs a message.
 *
 * Nothing is lost and search never misses a message: the position (the last message id indexed)
 * is stored in the same transaction as the batch, a restart resumes from it, and search first
 * indexes whatever is still pending. SQLite has a single writer, so message ids become visible in
 * order and a position is enough. A trigger removes a message's entry when the message goes.
 */
export class DeferredTermIndex implements DeferredWordIndex {
  private timer: NodeJS.Timeout | undefined;
  /** Writes are coming in on this connection: the timer's runs give way (see yieldWhile). */
  private writing: () => boolean = () => false;
  private maxLagMs = MAX_LAG_MS;
  /** When the index last had nothing pending (or this process started). */
  private caughtUpAt = performance.now();
  /** Set when another thread indexes (see indexElsewhere). */
  private elsewhere: (() => Promise<void>) | undefined;
  private running: Promise<void> | undefined;
  /** The run queued behind `running`, not started yet. */
  private waiting: Promise<void> | undefined;
  private stopped = false;
  /** The position as last read or written here (the table holds the authoritative one). */
  private seen: number | undefined;
  private readonly recentHashes = new RecentTermHashes();

  constructor(private readonly root: Kysely<Database>, private readonly crypto: FieldCrypto) {}

  start(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.background().catch(() => undefined /* retried next tick */), INTERVAL_MS);
    this.timer.unref();
  }

  indexElsewhere(catchUp: () => Promise<void>): void {
    this.elsewhere = catchUp;
    clearInterval(this.timer);
  }

  indexHere(): void {
    this.elsewhere = undefined;
    // The position moved on elsewhere: read again.
    this.seen = undefined;
    if (!this.stopped) this.start();
  }

  /**
   * Background runs stop while `writing()` says messages are being written on this connection,
   * unless the index is `maxLagMs` behind; search's catch-up never stops.
   */
  yieldWhile(writing: () => boolean, maxLagMs = MAX_LAG_MS): void {
    this.writing = writing;
    this.maxLagMs = maxLagMs;
  }

  /** Indexes every message committed so far. One run at a time; callers arriving meanwhile share the next. */
  catchUp(): Promise<void> {
    if (this.elsewhere) return this.elsewhere();
    // A run not started yet will see every message committed before it starts: join it.
    if (this.waiting) return this.waiting;
    const previous = this.running ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => {
      this.waiting = undefined;
      return this.drain(false);
    });
    this.waiting = next;
    return this.track(next);
  }

  /**
   * The timer's run, which gives way to writes (see yieldWhile). Only when nothing is running or
   * queued: the next tick comes soon. Never queued itself, so a search never joins a run that may
   * stop before everything is indexed.
   */
  private background(): Promise<void> {
    return this.running ?? this.track(this.drain(true));
  }

  private track(run: Promise<void>): Promise<void> {
    this.running = run;
    void run.finally(() => { if (this.running === run) this.running = undefined; }).catch(() => undefined);
    return run;
  }

  /** Newest first, up to `limit`: ids of the messages holding every one of the (hashed) terms. */
  async search(db: Kysely<Database> | Transaction<Database>, hashed: string[], limit: number): Promise<number[]> {
    // Terms are hex: quoted, they can only ever be plain tokens to FTS5's query syntax.
    const match = hashed.map((t) => `"${t.replace(/[^0-9a-f]/g, '')}"`).join(' ');
    const r = await sql<{ id: number }>`select rowid as id from message_term_index where message_term_index match ${match}
      order by rowid desc limit ${sql.lit(Math.trunc(limit))}`.execute(db);
    return r.rows.map((x) => Number(x.id));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async drain(yielding: boolean): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      if (yielding && this.writing() && performance.now() - this.caughtUpAt < this.maxLagMs) return;
      if (await this.batch() < BATCH) {
        this.caughtUpAt = performance.now();
        return;
      }
      // Live traffic first: a timer runs after the writes that arrived meanwhile have had their
      // turn (they start at setImmediate), where another setImmediate would go ahead of them.
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  private async batch(): Promise<number> {
    // Idle, a tick is one look at the newest id against the position last seen here; the stored
    // position is read, and trusted, only inside the transaction that moves it.
    const newest = await this.root.selectFrom('messages').select((eb) => eb.fn.max<number>('id').as('id')).executeTakeFirst();
    if (newest?.id == null || (this.seen !== undefined && Number(newest.id) <= this.seen)) return 0;
    const done = await this.root.transaction().execute((trx) => this.indexPending(trx));
    // Only once committed: a batch rolled back is tried again on the next tick.
    this.seen = done.position;
    return done.count;
  }

  /** The next batch of messages after the stored position, indexed, and the position moved past them. */
  private async indexPending(trx: Transaction<Database>): Promise<{ count: number; position: number }> {
    const [stored] = await position.rows(trx, 'sqlite', { name: 'terms' });
    const from = Number(stored?.throughMessageId ?? 0);
    const rows = await pendingMessages.rows(trx, 'sqlite', { from, limit: BATCH });
    const opened = [];
    for (const r of rows) {
      const id = Number(r.id);
      // A body that cannot be opened (damaged, or its key gone) cannot be searched either; it
      // must not stop every later message from being indexed. A master key this process was not
      // given is another matter: nothing could be opened, so the batch waits for the right key
      // rather than moving the position past messages it never read.
      const body = await this.crypto.open(trx, r.orgId, 'messages', 'body', id, r.body).catch((err: unknown) => {
        if (err instanceof KeyUnavailableError) throw err;
        return undefined;
      });
      if (body !== undefined) opened.push({ id, orgId: r.orgId, body });
    }
    const entries = (await hashedTerms(trx, this.crypto, opened, this.recentHashes)).filter((m) => m.terms.length > 0);
    if (entries.length) await trx.executeQuery(insertBatch(entries.map((m) => [m.id, m.terms.join(' ')])));
    const last = rows.at(-1);
    const through = last ? Number(last.id) : from;
    if (last) await movePosition.execute(trx, 'sqlite', { name: 'terms', through });
    return { count: rows.length, position: through };
  }
}
