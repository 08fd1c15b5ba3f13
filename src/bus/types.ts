/**
 * Live fan-out of events to connected sockets (widget visitors, staff inboxes). Best effort by
 * design: anything that must arrive is already durable in the store, and clients resume from it.
 */
export type BusHandler = (event: unknown) => void;

export interface Bus {
  publish(topic: string, event: unknown): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export const topics = {
  /** Everything a widget visitor should see live: replies, typing. */
  visitor: (inboxId: string, contactId: string) => `visitor:${inboxId}:${contactId}`,
  /** Everything staff watching an organization should see live. */
  org: (orgId: string) => `org:${orgId}`,
};
