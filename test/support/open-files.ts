import { readdirSync, readlinkSync } from 'node:fs';

/** What this process's open descriptors point at (Linux): paths, sockets, deleted files. */
export function openFiles(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      // Closed between the listing and the look-up (the listing's own descriptor among them).
      return [];
    }
  });
}

/** This process's open descriptors of `file`. */
export function descriptorsOf(file: string): number {
  return openFiles().filter((target) => target === file).length;
}
