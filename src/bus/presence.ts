/**
 * Who is connected right now, across every node: one entry per open staff connection, each with
 * an expiry that the connection's heartbeat pushes forward. A node that dies without saying
 * goodbye leaves entries that simply expire, so nobody stays "online" forever.
 */
export interface PresenceRegistry {
  /** Records (or refreshes) one connection of `staffId`, valid for `ttlMs` from now. */
  touch(orgId: string, staffId: string, connectionId: string, ttlMs: number): Promise<void>;
  /** The connection is gone. */
  leave(orgId: string, staffId: string, connectionId: string): Promise<void>;
  /** Staff ids with at least one live connection, sorted. Best effort: empty when unknowable. */
  online(orgId: string): Promise<string[]>;
  close(): Promise<void>;
}

/** One process: a map with expiry times. */
export class MemoryPresence implements PresenceRegistry {
  private readonly orgs = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  async touch(orgId: string, staffId: string, connectionId: string, ttlMs: number): Promise<void> {
    let org = this.orgs.get(orgId);
    if (!org) this.orgs.set(orgId, (org = new Map()));
    org.set(`${staffId}|${connectionId}`, this.now() + ttlMs);
  }

  async leave(orgId: string, staffId: string, connectionId: string): Promise<void> {
    this.orgs.get(orgId)?.delete(`${staffId}|${connectionId}`);
  }

  async online(orgId: string): Promise<string[]> {
    const org = this.orgs.get(orgId);
    if (!org) return [];
    const now = this.now();
    const ids = new Set<string>();
    for (const [member, expires] of org) {
      if (expires <= now) org.delete(member);
      else ids.add(member.slice(0, member.lastIndexOf('|')));
    }
    return [...ids].sort();
  }

  async close(): Promise<void> {
    this.orgs.clear();
  }
}
