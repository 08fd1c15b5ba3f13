/**
 * Vendors report delivery out of order (a "read" may overtake its "delivered"), and redeliver old
 * reports: a status only ever moves a message forward, and a failure is final.
 */
import type { Message } from '../domain/types.ts';
import { DELIVERY_PROBLEMS, type ConversationService } from '../features/conversations.ts';

const RANK: Record<string, number> = { queued: 1, sent: 2, delivered: 3, read: 4 };

export function movesForward(current: string | null | undefined, next: string): boolean {
  if (!current) return true;
  if (DELIVERY_PROBLEMS.has(current)) return false;
  if (DELIVERY_PROBLEMS.has(next)) return true;
  return (RANK[next] ?? 0) > (RANK[current] ?? 0);
}

export async function reportStatus(conversations: ConversationService, message: Message, status: string, error?: string | null): Promise<boolean> {
  if (!movesForward(message.deliveryStatus, status)) return false;
  await conversations.deliveryChanged(message, { status, error: error ?? null });
  return true;
}
