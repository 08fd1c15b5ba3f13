/**
 * A map for what may stay in memory only briefly (decrypted message text, the words of messages):
 * an entry is forgotten `ttlMs` after it was set, and at most `max` are kept, oldest out first.
 */
export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, Entry<K, V>>();
  /**
   * Entries in the order they were set, oldest at `head`. A Map keeps that order too, but after
   * many deletions at its front every walk from the start steps over the deleted slots first: at
   * 10,000 entries and thousands of messages a second, that walk was 7% of the server's time.
   */
  private order: Array<Entry<K, V>> = [];
  private head = 0;

  constructor(private readonly max: number, private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() - e.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: K, value: V): void {
    const at = this.now();
    const entry = { key, value, at };
    this.entries.set(key, entry);
    this.order.push(entry);
    // Oldest first: drop the expired and anything over the count. An entry set again since, or
    // already dropped, is only a stale place in the order.
    while (this.head < this.order.length) {
      const oldest = this.order[this.head] as Entry<K, V>;
      const current = this.entries.get(oldest.key) === oldest;
      if (current && this.entries.size <= this.max && at - oldest.at <= this.ttlMs) break;
      if (current) this.entries.delete(oldest.key);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}

interface Entry<K, V> {
  key: K;
  value: V;
  at: number;
}
