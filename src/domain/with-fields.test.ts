import { describe, expect, it } from 'vitest';
import { withFields } from './with-fields.ts';

describe('withFields', () => {
  it('gives what the spread gives: a new object, later fields winning, undefined kept, the inputs untouched', () => {
    const base = { id: 1, body: 'sealed', note: 'kept', gone: 'x' as string | undefined };
    const fields = { body: 'open', gone: undefined, extra: null };
    const out = withFields(base, fields);
    expect(out).toStrictEqual({ ...base, ...fields });
    expect(Object.keys(out)).toEqual(Object.keys({ ...base, ...fields }));
    expect(out).not.toBe(base);
    expect(base).toEqual({ id: 1, body: 'sealed', note: 'kept', gone: 'x' });
    expect(fields).toEqual({ body: 'open', gone: undefined, extra: null });
  });

  it('keeps an own __proto__ key of parsed input a plain field, as a spread does, without touching the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"isAdmin": true}, "name": "A. Patient"}') as object;
    const out = withFields({ id: 'ct_1' }, parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.isAdmin).toBeUndefined();
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(out.name).toBe('A. Patient');
    const fromBase = withFields(parsed, { id: 'ct_1' }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(fromBase)).toBe(Object.prototype);
    expect(fromBase.isAdmin).toBeUndefined();
  });

  it('adds nothing for an absent base, as a spread of undefined does', () => {
    const settings: { retentionDays?: number; slackContent?: string } | undefined = undefined;
    expect(withFields(settings, { retentionDays: 30 })).toStrictEqual({ retentionDays: 30 });
    expect(withFields(null, { retentionDays: 30 })).toStrictEqual({ retentionDays: 30 });
  });
});
