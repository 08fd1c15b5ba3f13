import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackgroundCheckpointer } from './checkpointer.ts';
import { copyWhenAsked, logRestartFlag } from './log-restart.ts';
import { logSequence, openLogWriter } from '../../../test/support/sqlite-log.ts';
import { descriptorsOf } from '../../../test/support/open-files.ts';

describe('WAL checkpoints on a worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-checkpoint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('copies committed pages into the database file while the writer keeps its own automatic checkpoint off', async () => {
    const file = join(dir, 'db.sqlite');
    const { writer, insert } = openLogWriter(file);
    const failures: unknown[] = [];
    const checkpointer = new BackgroundCheckpointer(file, () => failures.push('died'), { intervalMs: 50 });
    const before = statSync(file).size;
    writer.transaction(() => { for (let i = 0; i < 2000; i++) insert.run('x'.repeat(1000)); })();
    // Two megabytes committed: only the WAL holds them until someone checkpoints.
    await expect.poll(() => statSync(file).size, { timeout: 5000, interval: 50 }).toBeGreaterThan(before + 1_500_000);
    // The writer was never blocked and still writes.
    insert.run('after');
    await checkpointer.stop();
    expect(failures).toEqual([]);
    expect(writer.prepare('select count(*) as n from t').get()).toEqual({ n: 2001 });
    writer.close();
    // Its descriptor of the database file stayed open until asked to close, and none is left.
    expect(descriptorsOf(file)).toBe(1);
    checkpointer.closeFile();
    expect(descriptorsOf(file)).toBe(0);
  });

  it('starts the log over while commits follow each other without a pause, so it stays short', async () => {
    const file = join(dir, 'busy.sqlite');
    const { writer, insert } = openLogWriter(file);
    const checkpointer = new BackgroundCheckpointer(file, () => undefined, { intervalMs: 20, restartFrames: 64 });
    // Back to back: the log is never all copied when a commit begins, so SQLite alone never starts
    // it over. Each commit appends three frames (12 KiB), and left alone the log holds them all
    // (measured: 700 MB in a second). Each start afresh counts up the log header's checkpoint
    // sequence number; waiting for three of them, rather than for a fixed time, keeps the test
    // independent of how much CPU the checkpointer's thread gets on a busy machine. This writer
    // never answers the request to finish the copy itself (see below): the checkpointer forces it.
    const sequence = () => logSequence(file);
    insert.run('first');
    const before = sequence();
    const end = performance.now() + 10_000;
    let commits = 1;
    while (sequence() - before < 3 && performance.now() < end) {
      for (let i = 0; i < 50; i++) insert.run('x'.repeat(3000));
      commits += 50;
      await new Promise((r) => setImmediate(r));
    }
    await checkpointer.stop();
    expect(sequence() - before).toBeGreaterThanOrEqual(3);
    // Started over, the file holds less than everything written.
    expect(statSync(`${file}-wal`).size).toBeLessThan(commits * 3 * 4096);
    expect(writer.prepare('select count(*) as n from t').get()).toEqual({ n: commits });
    writer.close();
    checkpointer.closeFile();
  });

  it('gives back the space of the log file once nothing has been written for a while, and not before', async () => {
    const file = join(dir, 'idle.sqlite');
    const { writer, insert } = openLogWriter(file);
    const checkpointer = new BackgroundCheckpointer(file, () => undefined, { intervalMs: 20, idleMs: 200, keepBytes: 256 * 1024 });
    const logBytes = () => statSync(`${file}-wal`).size;
    // About 2 MB of log, then a small commit every few milliseconds for half a second.
    writer.transaction(() => { for (let i = 0; i < 2000; i++) insert.run('x'.repeat(1000)); })();
    let rows = 2000;
    let smallest = Infinity;
    const busyUntil = performance.now() + 500;
    while (performance.now() < busyUntil) {
      insert.run('y');
      rows++;
      smallest = Math.min(smallest, logBytes());
      await new Promise((r) => setTimeout(r, 5));
    }
    // While commits kept coming, the file kept its size (SQLite reuses it from the start).
    expect(smallest).toBeGreaterThan(1_500_000);
    // Once they stop, it is cut back.
    await expect.poll(logBytes, { timeout: 5000, interval: 20 }).toBe(0);
    await checkpointer.stop();
    insert.run('after');
    expect(writer.prepare('select count(*) as n from t').get()).toEqual({ n: rows + 1 });
    writer.close();
    checkpointer.closeFile();
  });

  it('asks the writer to finish the copy between its commits, so the log starts over without a RESTART holding the lock', async () => {
    const file = join(dir, 'answered.sqlite');
    const { writer, insert } = openLogWriter(file);
    // Asked forever: the checkpointer itself never forces a RESTART here.
    const checkpointer = new BackgroundCheckpointer(file, () => undefined, { intervalMs: 20, restartFrames: 64, askRounds: 1_000_000 });
    const flag = logRestartFlag(file);
    const copy = copyWhenAsked(flag, writer);
    let copies = 0;
    insert.run('first');
    const before = logSequence(file);
    const end = performance.now() + 10_000;
    while (logSequence(file) - before < 3 && performance.now() < end) {
      for (let i = 0; i < 50; i++) {
        insert.run('x'.repeat(3000));
        const asked = Atomics.load(flag, 0) === 1;
        copy();
        if (asked && Atomics.load(flag, 0) === 0) copies++;
      }
      await new Promise((r) => setImmediate(r));
    }
    await checkpointer.stop();
    expect(logSequence(file) - before).toBeGreaterThanOrEqual(3);
    expect(copies).toBeGreaterThanOrEqual(3);
    writer.close();
    checkpointer.closeFile();
  });
});
