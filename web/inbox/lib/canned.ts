/** Canned responses in the composer: "/" at the start of the text, then the shortcut typed so far. */
import type { CannedResponse } from '../api-types.ts';

export const MAX_SUGGESTIONS = 8;

/**
 * The shortcut being typed when the text is "/" plus optional non-space characters, else null.
 * "/par" -> "par"; "/" -> ""; "/par king" and "hello /par" -> null.
 */
export function cannedQuery(text: string): string | null {
  const m = /^\/(\S*)$/.exec(text);
  return m ? m[1]!.toLowerCase() : null;
}

function normalise(shortcut: string): string {
  return shortcut.replace(/^\//, '').toLowerCase();
}

/**
 * Responses for a query, best first: shortcuts that start with it, then shortcuts that contain it,
 * then titles that contain it; alphabetical by shortcut within each group.
 */
export function matchCanned(items: readonly CannedResponse[], query: string, max = MAX_SUGGESTIONS): CannedResponse[] {
  const q = query.toLowerCase();
  const rank = (c: CannedResponse): number => {
    const s = normalise(c.shortcut);
    if (s.startsWith(q)) return 0;
    if (s.includes(q)) return 1;
    if (c.title.toLowerCase().includes(q)) return 2;
    return -1;
  };
  return items
    .map((c) => ({ c, r: rank(c) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || normalise(a.c.shortcut).localeCompare(normalise(b.c.shortcut)))
    .slice(0, max)
    .map((x) => x.c);
}

/** Index after moving `step` through `count` suggestions, wrapping around. */
export function moveActive(index: number, step: number, count: number): number {
  if (count <= 0) return -1;
  if (index < 0) return step > 0 ? 0 : count - 1;
  return (((index + step) % count) + count) % count;
}

/** A shortcut as stored: no leading "/", no spaces. */
export function cleanShortcut(input: string): string {
  return input.trim().replace(/^\/+/, '').replace(/\s+/g, '-').toLowerCase();
}

/** What the server accepts as a shortcut (after `cleanShortcut`). */
export const SHORTCUT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Why a shortcut cannot be saved, or null. `taken` holds the other responses' shortcuts. */
export function shortcutProblem(shortcut: string, taken: readonly string[]): string | null {
  if (!shortcut) return 'Enter a shortcut, for example parking.';
  if (!SHORTCUT_PATTERN.test(shortcut)) {
    return 'Use up to 32 lowercase letters, digits, - and _, starting with a letter or digit.';
  }
  if (taken.includes(shortcut)) return `/${shortcut} is already used by another response.`;
  return null;
}
