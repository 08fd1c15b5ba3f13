/**
 * What the core counts, as an interface: the HTTP layer implements it with Prometheus, tests and
 * tools may pass `noMetrics`. Labels are closed sets (channel kinds, directions): never an id, a
 * name or any text, so nothing about a patient can reach a metrics scraper.
 */
import type { ChannelKind } from '../domain/types.ts';

export interface CoreMetrics {
  /** A message was recorded: from a patient (`in`) or a staff reply to one (`out`). */
  messageRecorded(channel: ChannelKind, direction: 'in' | 'out'): void;
  /** A delivery attempt failed (it may still be retried). `channel` is a patient channel or `slack`. */
  deliveryFailed(channel: ChannelKind | 'slack'): void;
}

export const noMetrics: CoreMetrics = {
  messageRecorded: () => undefined,
  deliveryFailed: () => undefined,
};
