/**
 * A map for what may stay in memory only briefly (decrypted message text, the words of messages):
 * an entry is forgotten `ttlMs` after it was set, and at most `max` are kept, oldest out first.
 */
export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, { value: V; at: number }>();

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
    this.entries.delete(key);
    this.entries.set(key, { value, at });
    // Oldest first (insertion order): drop the expired and anything over the count.
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.max && at - e.at <= this.ttlMs) break;
      this.entries.delete(k);
    }
  }
}
