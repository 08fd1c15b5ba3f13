import { describe, expect, it } from 'vitest';
import type { KeyLike } from './shortcuts.ts';
import { isTypingTarget, SHORTCUT_HELP, shortcutFor } from './shortcuts.ts';

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe('shortcutFor', () => {
  it('maps the single keys', () => {
    expect(shortcutFor(key('j'), false)).toBe('next');
    expect(shortcutFor(key('k'), false)).toBe('previous');
    expect(shortcutFor(key('r'), false)).toBe('focus-reply');
    expect(shortcutFor(key('n'), false)).toBe('focus-note');
    expect(shortcutFor(key('e'), false)).toBe('resolve');
    expect(shortcutFor(key('a'), false)).toBe('assign-me');
    expect(shortcutFor(key('/'), false)).toBe('focus-filters');
    expect(shortcutFor(key('?', { shiftKey: true }), false)).toBe('help');
  });

  it('Shift+E reopens; other shifted letters do nothing', () => {
    expect(shortcutFor(key('E', { shiftKey: true }), false)).toBe('reopen');
    expect(shortcutFor(key('J', { shiftKey: true }), false)).toBeNull();
    // Caps Lock: an upper-case E without Shift is not "reopen".
    expect(shortcutFor(key('E'), false)).toBeNull();
  });

  it('ignores everything but Escape while typing in a field', () => {
    for (const k of ['j', 'k', 'r', 'n', 'e', 'a', '/', '?']) expect(shortcutFor(key(k), true)).toBeNull();
    expect(shortcutFor(key('E', { shiftKey: true }), true)).toBeNull();
    expect(shortcutFor(key('Escape'), true)).toBe('escape');
  });

  it('leaves browser and system combinations alone', () => {
    expect(shortcutFor(key('r', { ctrlKey: true }), false)).toBeNull();
    expect(shortcutFor(key('k', { metaKey: true }), false)).toBeNull();
    expect(shortcutFor(key('e', { altKey: true }), false)).toBeNull();
    expect(shortcutFor(key('j', { isComposing: true }), false)).toBeNull();
  });

  it('documents every key it handles', () => {
    const documented = SHORTCUT_HELP.flatMap((s) => s.keys).join(' ');
    for (const k of ['j', 'k', 'r', 'n', 'e', 'E', 'a', '/', '?', 'Esc']) expect(documented).toContain(k);
  });
});

describe('isTypingTarget', () => {
  it('knows which elements take text', () => {
    expect(isTypingTarget({ tagName: 'TEXTAREA' })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'text' })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'email' })).toBe(true);
    expect(isTypingTarget({ tagName: 'SELECT' })).toBe(true);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'radio' })).toBe(false);
    expect(isTypingTarget({ tagName: 'BUTTON' })).toBe(false);
    expect(isTypingTarget({ tagName: 'A' })).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});
