import { closeSync, openSync, readSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';

/**
 * A writing connection in WAL mode as the store opens one, except that SQLite never checkpoints by
 * itself, over a table `t (id, v)`: the log is left to the checkpoints under test.
 */
export function openLogWriter(file: string) {
  const writer = new SqliteDatabase(file);
  writer.pragma('journal_mode = WAL');
  writer.pragma('wal_autocheckpoint = 0');
  writer.pragma('busy_timeout = 5000');
  writer.exec('create table t (id integer primary key, v text)');
  return { writer, insert: writer.prepare('insert into t (v) values (?)') };
}

/**
 * The checkpoint sequence number in the header of a SQLite database's write-ahead log: one more
 * each time the log starts over from its beginning.
 */
export function logSequence(file: string): number {
  const fd = openSync(`${file}-wal`, 'r');
  try {
    const header = Buffer.alloc(4);
    readSync(fd, header, 0, 4, 12);
    return header.readUInt32BE(0);
  } finally { closeSync(fd); }
}
