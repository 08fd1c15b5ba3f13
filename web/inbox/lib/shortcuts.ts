/** Keyboard shortcuts of the inbox: which key does what, and the list the help dialog shows. */

export type ShortcutAction =
  | 'next'
  | 'previous'
  | 'focus-reply'
  | 'focus-note'
  | 'resolve'
  | 'reopen'
  | 'assign-me'
  | 'focus-filters'
  | 'help'
  | 'escape';

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** IME composition in progress. */
  isComposing?: boolean;
}

export interface ShortcutHelp {
  keys: string[];
  description: string;
}

export const SHORTCUT_HELP: readonly ShortcutHelp[] = [
  { keys: ['j'], description: 'Next conversation' },
  { keys: ['k'], description: 'Previous conversation' },
  { keys: ['↓', '↑'], description: 'Move through the conversation list' },
  { keys: ['r'], description: 'Write a reply' },
  { keys: ['n'], description: 'Write an internal note' },
  { keys: ['e'], description: 'Resolve the conversation' },
  { keys: ['Shift', 'E'], description: 'Reopen the conversation' },
  { keys: ['a'], description: 'Assign the conversation to me' },
  { keys: ['/'], description: 'Go to the conversation filters' },
  { keys: ['?'], description: 'Show this list' },
  { keys: ['Esc'], description: 'Leave the text field, close a dialog' },
  { keys: ['Enter'], description: 'Send (Shift+Enter for a new line)' },
];

const PLAIN: Record<string, ShortcutAction> = {
  j: 'next',
  k: 'previous',
  r: 'focus-reply',
  n: 'focus-note',
  e: 'resolve',
  a: 'assign-me',
  '/': 'focus-filters',
  '?': 'help',
};

/**
 * The action for a key press, or null. While typing in a field only Escape counts; keys with
 * Ctrl, Cmd or Alt are left to the browser.
 */
export function shortcutFor(e: KeyLike, inField: boolean): ShortcutAction | null {
  if (e.isComposing) return null;
  if (e.key === 'Escape') return 'escape';
  if (inField || e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === 'E' && e.shiftKey) return 'reopen';
  // "?" needs Shift on most layouts; other letters with Shift are not shortcuts.
  if (e.shiftKey && e.key !== '?') return null;
  return PLAIN[e.key] ?? null;
}

/** Is an element one that takes typed text (so single-key shortcuts must not fire)? */
export function isTypingTarget(el: { tagName?: string; isContentEditable?: boolean; type?: string } | null): boolean {
  if (!el || !el.tagName) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag !== 'input') return false;
  const type = (el.type ?? 'text').toLowerCase();
  return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image'].includes(type);
}
