import type { Inbox } from '../../domain/types.ts';
import { ExpiringMap } from '../../domain/expiring-map.ts';

/**
 * One Inbox object for every widget connection to the same, unchanged inbox. Each connection
 * reads its inbox afresh when it opens (settings changed by staff apply to the next visitor at
 * once) and keeps it while open; without this, 6,000 visitors of one practice kept 6,000 copies
 * of the same row, its settings and its greeting. A copy read again is compared whole with the
 * one shared: any change, and the newer one is shared from then on. Bounded in count and time,
 * like every cache here, so that a deleted inbox is not remembered.
 */
export class SharedInboxes {
  private readonly byKey: ExpiringMap<string, { inbox: Inbox; json: string }>;

  constructor(max = 10_000, ttlMs = 10 * 60_000, now: () => number = Date.now) {
    this.byKey = new ExpiringMap(max, ttlMs, now);
  }

  /** The shared object equal to `inbox` (just read from the store), or `inbox` itself, shared from now on. */
  share(inbox: Inbox): Inbox {
    const json = JSON.stringify(inbox);
    const known = this.byKey.get(inbox.publicKey);
    if (known?.json === json) return known.inbox;
    this.byKey.set(inbox.publicKey, { inbox, json });
    return inbox;
  }
}
