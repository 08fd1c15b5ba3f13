/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"):
 * spreads retries of many jobs so a recovering vendor is not hit by a synchronized wave.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  // Never less than half the ceiling, so the growth is still visible and predictable.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
