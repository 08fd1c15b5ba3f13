/**
 * Lists every screen needs and that change rarely (staff, inboxes, canned responses): fetched once
 * per page load, shared, and refreshed after an admin changes them.
 */
import { useEffect, useState } from 'preact/hooks';
import type { CannedResponse, InboxRef, ItemList, StaffMember } from '../api-types.ts';
import { isAbort } from '../lib/api.ts';
import { api } from './client.ts';

class Cached<T> {
  private value: T[] | null = null;
  private inflight: Promise<T[]> | null = null;
  private listeners = new Set<(v: T[]) => void>();

  constructor(private readonly path: string) {}

  get(): T[] | null {
    return this.value;
  }

  load(force = false): Promise<T[]> {
    if (this.value && !force) return Promise.resolve(this.value);
    if (this.inflight && !force) return this.inflight;
    const p = api<ItemList<T>>('GET', this.path).then((r) => {
      if (this.inflight === p) this.inflight = null;
      this.value = r.items;
      for (const l of this.listeners) l(r.items);
      return r.items;
    }, (err) => {
      if (this.inflight === p) this.inflight = null;
      throw err;
    });
    this.inflight = p;
    return p;
  }

  subscribe(fn: (v: T[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

export const staffList = new Cached<StaffMember>('/api/staff');
export const inboxList = new Cached<InboxRef>('/api/inboxes');
export const cannedList = new Cached<CannedResponse>('/api/canned-responses');

/** The cached list (loading it on first use); null until it arrives. */
export function useCached<T>(c: Cached<T>): T[] | null {
  const [v, setV] = useState<T[] | null>(c.get());
  useEffect(() => {
    const off = c.subscribe(setV);
    c.load().catch((err) => {
      if (!isAbort(err)) setV((prev) => prev ?? []);
    });
    return off;
  }, [c]);
  return v;
}
