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
    const user = this.api.userInfo(userId);
    this.entries.set(userId, { at: Date.now(), user });
    user.catch(() => this.entries.delete(userId));
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return user;
  }
}
