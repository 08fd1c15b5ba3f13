import { closeSync, openSync, readSync } from 'node:fs';

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
