/**
 * Staff presence: who has the inbox open right now, on any node. Each live connection records
 * itself in the shared registry and renews that every heartbeat; colleagues are told on the bus
 * when someone comes online (first connection) or goes offline (last connection closed). A node
 * that dies sends no "offline": its entries expire after the TTL, and the next snapshot a client
 * asks for (every reconnect) no longer lists them.
 */
import { randomUUID } from 'node:crypto';
import type { PresenceRegistry } from '../bus/presence.ts';
import type { Bus } from '../bus/types.ts';
import { topics } from '../bus/types.ts';
import type { OrgEvent } from './events.ts';

export const PRESENCE_TTL_MS = 60_000;
export const PRESENCE_HEARTBEAT_MS = 20_000;

export interface PresenceSession {
  /** The connection closed. */
  end(): Promise<void>;
}

export class StaffPresence {
  private readonly ttlMs: number;
  private readonly heartbeatMs: number;

  constructor(
    private readonly registry: PresenceRegistry,
    private readonly bus: Bus,
    options: { ttlMs?: number; heartbeatMs?: number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? PRESENCE_TTL_MS;
    this.heartbeatMs = options.heartbeatMs ?? PRESENCE_HEARTBEAT_MS;
  }

  online(orgId: string): Promise<string[]> {
    return this.registry.online(orgId);
  }

  async connect(orgId: string, staffId: string): Promise<PresenceSession> {
    const connectionId = randomUUID();
    const wasOnline = (await this.registry.online(orgId)).includes(staffId);
    await this.registry.touch(orgId, staffId, connectionId, this.ttlMs);
    if (!wasOnline) await this.publish(orgId, { type: 'presence', staffId, online: true });
    const beat = setInterval(() => void this.registry.touch(orgId, staffId, connectionId, this.ttlMs), this.heartbeatMs);
    beat.unref();
    let ended = false;
    return {
      end: async () => {
        if (ended) return;
        ended = true;
        clearInterval(beat);
        await this.registry.leave(orgId, staffId, connectionId);
        // Another tab, or another node, may still hold a connection of theirs.
        if (!(await this.registry.online(orgId)).includes(staffId)) {
          await this.publish(orgId, { type: 'presence', staffId, online: false });
        }
      },
    };
  }

  private publish(orgId: string, event: OrgEvent): Promise<void> {
    return this.bus.publish(topics.org(orgId), event);
  }
}
