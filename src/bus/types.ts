/**
 * Live fan-out of events to connected sockets (widget visitors, staff inboxes). Best effort by
 * design: anything that must arrive is already durable in the store, and clients resume from it.
 */
export type BusHandler = (event: unknown) => void;

export interface Bus {
  /**
   * Subscribers in this process get the very object published, not a copy: whatever the publisher
   * attached to it for them (see features/recent-messages.ts `withRecord`) reaches them.
   */
  readonly deliversPublishedObject: boolean;
  /**
   * Never rejects: a bus that cannot publish (the broker is down) logs and counts it, and the
   * message is still in the store for clients to resume from.
   */
  publish(topic: string, event: unknown): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>>;
  /**
   * Called when events may have been missed (the link to the other nodes was lost and is back).
   * Socket owners answer by making their clients resume from the store. Returns the remover.
   */
  onGap(listener: () => void): () => void;
  /** Whether the bus can carry events right now (the readiness probe asks). */
  reachable(): Promise<boolean>;
  close(): Promise<void>;
}

export const topics = {
  /** Everything a widget visitor should see live: replies, typing. */
  visitor: (inboxId: string, contactId: string) => `visitor:${inboxId}:${contactId}`,
  /** Everything staff watching an organization should see live. */
  org: (orgId: string) => `org:${orgId}`,
};
