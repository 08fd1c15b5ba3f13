import { describe, expect, it } from 'vitest';
import type { CannedResponse } from '../api-types.ts';
import { cannedQuery, cleanShortcut, matchCanned, moveActive, shortcutProblem } from './canned.ts';

const c = (shortcut: string, title: string): CannedResponse => ({ id: shortcut, shortcut, title, body: `${title}.` });
const ITEMS = [c('parking', 'Parking'), c('hours', 'Opening hours'), c('spark', 'Sparkling water'), c('insurance', 'Insurance we take'), c('p2', 'Parking for disabled')];

describe('cannedQuery', () => {
  it('is the shortcut typed after a leading slash', () => {
    expect(cannedQuery('/')).toBe('');
    expect(cannedQuery('/Par')).toBe('par');
    expect(cannedQuery('/par king')).toBeNull();
    expect(cannedQuery('/par\n')).toBeNull();
    expect(cannedQuery('hello /par')).toBeNull();
    expect(cannedQuery('')).toBeNull();
  });
});

describe('matchCanned', () => {
  it('ranks shortcut prefix, then shortcut substring, then title', () => {
    expect(matchCanned(ITEMS, 'par').map((x) => x.shortcut)).toEqual(['parking', 'spark', 'p2']);
    expect(matchCanned(ITEMS, 'hour').map((x) => x.shortcut)).toEqual(['hours']);
    expect(matchCanned(ITEMS, 'water').map((x) => x.shortcut)).toEqual(['spark']);
  });

  it('lists everything alphabetically for a bare slash, up to the limit', () => {
    expect(matchCanned(ITEMS, '').map((x) => x.shortcut)).toEqual(['hours', 'insurance', 'p2', 'parking', 'spark']);
    expect(matchCanned(ITEMS, '', 2)).toHaveLength(2);
  });

  it('is case-insensitive and tolerates a stored leading slash', () => {
    expect(matchCanned([c('/Parking', 'X')], 'PARK')).toHaveLength(1);
    expect(matchCanned(ITEMS, 'zzz')).toEqual([]);
  });
});

describe('moveActive', () => {
  it('wraps around', () => {
    expect(moveActive(0, 1, 3)).toBe(1);
    expect(moveActive(2, 1, 3)).toBe(0);
    expect(moveActive(0, -1, 3)).toBe(2);
    expect(moveActive(-1, 1, 3)).toBe(0);
    expect(moveActive(-1, -1, 3)).toBe(2);
    expect(moveActive(0, 1, 0)).toBe(-1);
  });
});

describe('shortcuts as saved', () => {
  it('cleans what an admin types', () => {
    expect(cleanShortcut(' /Parking Lot ')).toBe('parking-lot');
  });

  it('explains what the server would refuse', () => {
    expect(shortcutProblem('', [])).toMatch(/Enter a shortcut/);
    expect(shortcutProblem('-x', [])).toMatch(/lowercase/);
    expect(shortcutProblem('a'.repeat(33), [])).toMatch(/32/);
    expect(shortcutProblem('café', [])).toMatch(/lowercase/);
    expect(shortcutProblem('parking', ['parking'])).toMatch(/already used/);
    expect(shortcutProblem('parking_2', ['parking'])).toBeNull();
  });
});
