import type { Bus, BusHandler } from './types.ts';

/** Single-node bus. A handler that throws is isolated from the others and from the publisher. */
export class MemoryBus implements Bus {
  readonly deliversPublishedObject: boolean = true;
  private readonly handlers = new Map<string, Set<BusHandler>>();

  async publish(topic: string, event: unknown): Promise<void> {
    const set = this.handlers.get(topic);
    if (!set) return;
    for (const h of [...set]) {
      try {
        h(event);
      } catch {
        // A broken subscriber (e.g. a socket closing mid-send) must not stop delivery to others.
      }
    }
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0) this.handlers.delete(topic);
    };
  }

  /** One process has no link to lose: there is never a gap. */
  onGap(): () => void {
    return () => undefined;
  }

  async reachable(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
