import { PermanentError } from '../../jobs/errors.ts';
import type { SlackApi, SlackUser } from './api.ts';

/**
 * users.info is rate limited (Tier 4) and names change rarely: cache for an hour, and share one
 * in-flight lookup between concurrent callers.
 */
export class SlackUserCache {
  private readonly entries = new Map<string, { at: number; user: Promise<SlackUser> }>();

  constructor(private readonly api: SlackApi, private readonly ttlMs = 3600_000, private readonly maxEntries = 5000) {}

  get(userId: string): Promise<SlackUser> {
    const hit = this.entries.get(userId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.user;
    // A name that cannot be looked up (user gone, scope missing) must not stop the reply itself.
    const user = this.api.userInfo(userId).catch((err: unknown) => {
      if (err instanceof PermanentError) return { id: userId, displayName: 'Practice staff', isBot: false };
      throw err;
    });
    this.entries.set(userId, { at: Date.now(), user });
    user.catch(() => this.entries.delete(userId));
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return user;
  }
}
