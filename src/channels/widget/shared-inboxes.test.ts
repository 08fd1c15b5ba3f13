import { describe, expect, it } from 'vitest';
import type { Inbox } from '../../domain/types.ts';
import { SharedInboxes } from './shared-inboxes.ts';

const inbox = (over: Partial<Inbox> = {}): Inbox => ({
  id: 'ibx_1', orgId: 'org_1', name: 'Web', channel: 'web', publicKey: 'pk_1',
  settings: { greeting: 'Hi', color: '#112233', preChat: { enabled: false, fields: [] } }, createdAt: 1, ...over,
});

describe('SharedInboxes', () => {
  it('hands every reader of an unchanged inbox the first object read', () => {
    const shared = new SharedInboxes();
    const first = inbox();
    expect(shared.share(first)).toBe(first);
    expect(shared.share(inbox())).toBe(first);
    // Another inbox is not confused with it.
    const other = inbox({ id: 'ibx_2', publicKey: 'pk_2' });
    expect(shared.share(other)).toBe(other);
  });

  it('shares the newer object once the inbox has changed, and forgets it after its time', () => {
    let now = 0;
    const shared = new SharedInboxes(10, 1000, () => now);
    const first = inbox();
    shared.share(first);
    const changed = inbox({ settings: { greeting: 'Hello', color: '#112233', preChat: { enabled: true, fields: ['name'] } } });
    expect(shared.share(changed)).toBe(changed);
    expect(shared.share(inbox({ settings: changed.settings }))).toBe(changed);
    now = 1001;
    const later = inbox({ settings: changed.settings });
    expect(shared.share(later)).toBe(later);
  });
});
