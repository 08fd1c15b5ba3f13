/**
 * Callers waiting for an answer, by the request id they were given (ids handed out in increasing
 * order, answered in any order).
 *
 * Not a Map: V8's hash tables link each table they outgrow or shrink away from to the one replacing
 * it. A Map of requests in flight is replaced every few dozen requests; once one of its tables has
 * lived long enough to be promoted to the old generation, that dead table keeps the next one alive
 * through every young-generation collection, and with it every request, promise and record it
 * holds, which are then promoted in turn, until the next full collection. Under load that chain was
 * three quarters of what the server thread's scavenges copied (1.35 MB each, against 0.4 MB
 * without it). Here the slots are two arrays, indexed by id, that only ever grow: under steady
 * traffic nothing is reallocated.
 */
export class WaitingById<T> {
  private ids: Array<number | undefined> = [];
  private values: Array<T | undefined> = [];
  private count = 0;

  constructor(capacity = 1024) {
    this.resize(2 ** Math.ceil(Math.log2(Math.max(2, capacity))));
  }

  get size(): number {
    return this.count;
  }

  /** Slots held: grows only when ids in flight at once span more than it. */
  get capacity(): number {
    return this.ids.length;
  }

  /** `value` waits under `id` (in place of whatever waited under that id before). */
  set(id: number, value: T): void {
    let i = this.slot(id);
    if (this.ids[i] !== id) {
      if (this.ids[i] !== undefined) {
        this.grow(id);
        i = this.slot(id);
      }
      this.ids[i] = id;
      this.count++;
    }
    this.values[i] = value;
  }

  /** What waits under `id`, no longer waiting; undefined if nothing does. */
  take(id: number): T | undefined {
    const i = this.slot(id);
    if (this.ids[i] !== id) return undefined;
    const value = this.values[i];
    this.ids[i] = undefined;
    this.values[i] = undefined;
    this.count--;
    return value;
  }

  /** Everything waiting, in id order; nothing waits afterwards. */
  takeAll(): T[] {
    const all = this.entries();
    this.resize(this.ids.length);
    return all.map(([, value]) => value);
  }

  private slot(id: number): number {
    return id & (this.ids.length - 1);
  }

  private entries(): Array<[number, T]> {
    const all: Array<[number, T]> = [];
    this.ids.forEach((id, i) => { if (id !== undefined) all.push([id, this.values[i] as T]); });
    return all.sort((a, b) => a[0] - b[0]);
  }

  private resize(size: number): void {
    this.ids = new Array<number | undefined>(size).fill(undefined);
    this.values = new Array<T | undefined>(size).fill(undefined);
    this.count = 0;
  }

  /** Doubles until `id` and every id waiting have a slot of their own. */
  private grow(id: number): void {
    const waiting = this.entries();
    const wanted = [id, ...waiting.map(([w]) => w)];
    let size = this.ids.length * 2;
    while (new Set(wanted.map((w) => w & (size - 1))).size < wanted.length) size *= 2;
    this.resize(size);
    for (const [w, value] of waiting) this.set(w, value);
  }
}
