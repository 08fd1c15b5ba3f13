import { describe, expect, it } from 'vitest';
import { adminPagesFor, conversationPath, enrolToken, inboxPath, listQuery, loginPath, mayOpenAdminPage, parseRoute, safeNext } from './routes.ts';

const ORIGIN = 'https://desk.example-clinic.org';

describe('parseRoute', () => {
  it('reads the served routes', () => {
    expect(parseRoute('/login', '')).toEqual({ name: 'login', next: null, reason: null, idleMinutes: null });
    expect(parseRoute('/enrol', '')).toEqual({ name: 'enrol' });
    expect(parseRoute('/inbox', '')).toEqual({ name: 'inbox', view: { filter: 'open', inboxId: null, channel: null }, conversationId: null });
    expect(parseRoute('/inbox/conversations/cv_1', '?filter=mine&channel=sms&inbox=ib_2')).toEqual({
      name: 'inbox',
      view: { filter: 'mine', inboxId: 'ib_2', channel: 'sms' },
      conversationId: 'cv_1',
    });
    expect(parseRoute('/admin', '')).toEqual({ name: 'admin', page: 'staff', inboxId: null });
    expect(parseRoute('/admin/slack', '')).toEqual({ name: 'admin', page: 'slack', inboxId: null });
    expect(parseRoute('/admin/inboxes', '?inbox=ib_1')).toEqual({ name: 'admin', page: 'inboxes', inboxId: 'ib_1' });
  });

  it('reads the owner pages', () => {
    expect(parseRoute('/admin/audit', '')).toEqual({ name: 'admin', page: 'audit', inboxId: null });
    expect(parseRoute('/admin/retention/', '')).toEqual({ name: 'admin', page: 'retention', inboxId: null });
  });

  it('ignores unknown filters and channels, and reports unknown pages', () => {
    expect(parseRoute('/inbox', '?filter=everything&channel=fax')).toMatchObject({ view: { filter: 'open', channel: null } });
    expect(parseRoute('/admin/billing', '')).toEqual({ name: 'admin', page: null, inboxId: null });
    expect(parseRoute('/elsewhere', '')).toEqual({ name: 'not-found' });
    expect(parseRoute('/inbox/conversations/%E0%A4%A', '')).toEqual({ name: 'not-found' });
  });

  it('reads the idle sign-out reason and its minutes', () => {
    expect(parseRoute('/login', '?reason=idle&minutes=15&next=%2Finbox%2Fconversations%2Fc1')).toEqual({
      name: 'login',
      next: '/inbox/conversations/c1',
      reason: 'idle',
      idleMinutes: 15,
    });
    expect(parseRoute('/login', '?reason=hacked&minutes=-3')).toMatchObject({ reason: null, idleMinutes: null });
  });
});

describe('paths', () => {
  it('round-trips a list view through the query string', () => {
    const view = { filter: 'unassigned' as const, inboxId: 'ib 1', channel: 'email' as const };
    const path = conversationPath('c/1', view);
    expect(path).toBe('/inbox/conversations/c%2F1?filter=unassigned&inbox=ib+1&channel=email');
    const [p, q] = path.split('?');
    expect(parseRoute(p!, `?${q}`)).toEqual({ name: 'inbox', view, conversationId: 'c/1' });
    expect(inboxPath({ filter: 'open', inboxId: null, channel: null })).toBe('/inbox');
    expect(listQuery({ filter: 'open', inboxId: null, channel: 'sms' })).toBe('?channel=sms');
  });

  it('builds the sign-in path with a reason and where to come back to', () => {
    expect(loginPath({})).toBe('/login');
    expect(loginPath({ next: '/inbox' })).toBe('/login');
    expect(loginPath({ next: '/admin/staff', reason: 'idle', idleMinutes: 15 })).toBe('/login?reason=idle&minutes=15&next=%2Fadmin%2Fstaff');
    expect(loginPath({ reason: 'expired', idleMinutes: 15 })).toBe('/login?reason=expired');
  });
});

describe('safeNext', () => {
  it('accepts paths on this site', () => {
    expect(safeNext('/inbox/conversations/c1?filter=mine', ORIGIN)).toBe('/inbox/conversations/c1?filter=mine');
    expect(safeNext('/admin/slack', ORIGIN)).toBe('/admin/slack');
  });

  it.each([
    ['https://evil.example/inbox'],
    ['//evil.example/inbox'],
    ['/\\evil.example'],
    ['\\\\evil.example'],
    ['/\t/evil.example'],
    ['/ /evil.example'],
    ['javascript:alert(1)'],
    ['inbox'],
    [''],
    ['/login?next=/inbox'],
    ['/enrol'],
  ])('refuses %j', (next) => {
    expect(safeNext(next, ORIGIN)).toBeNull();
  });

  it('refuses nothing-at-all', () => {
    expect(safeNext(null, ORIGIN)).toBeNull();
    expect(safeNext(undefined, ORIGIN)).toBeNull();
  });
});

describe('enrolToken', () => {
  it('reads the token from the fragment only', () => {
    expect(enrolToken('#token=abc123')).toBe('abc123');
    expect(enrolToken('token=abc123&x=1')).toBe('abc123');
    expect(enrolToken('#token=')).toBeNull();
    expect(enrolToken('')).toBeNull();
  });
});

describe('administration pages by role', () => {
  it('keeps the audit trail and retention for owners', () => {
    expect(adminPagesFor('owner')).toEqual(['staff', 'inboxes', 'slack', 'canned-responses', 'audit', 'retention']);
    expect(adminPagesFor('admin')).toEqual(['staff', 'inboxes', 'slack', 'canned-responses']);
    expect(adminPagesFor('agent')).toEqual([]);
    expect(mayOpenAdminPage('admin', 'audit')).toBe(false);
    expect(mayOpenAdminPage('admin', 'retention')).toBe(false);
    expect(mayOpenAdminPage('admin', 'staff')).toBe(true);
    expect(mayOpenAdminPage('owner', 'audit')).toBe(true);
    expect(mayOpenAdminPage('agent', 'staff')).toBe(false);
  });
});
