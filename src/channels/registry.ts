import type { ChannelKind } from '../domain/types.ts';
import type { ChannelAdapter } from './types.ts';

export class ChannelRegistry {
  private readonly adapters = new Map<ChannelKind, ChannelAdapter>();

  constructor(adapters: ChannelAdapter[]) {
    for (const a of adapters) this.adapters.set(a.kind, a);
  }

  get(kind: ChannelKind): ChannelAdapter | undefined {
    return this.adapters.get(kind);
  }
}
