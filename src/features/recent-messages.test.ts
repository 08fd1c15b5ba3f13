import { describe, expect, it } from 'vitest';
import type { Message } from '../domain/types.ts';
import { RecentMessages } from './recent-messages.ts';

const entry = (id: number, orgId = 'org_a') => ({
  message: { id, orgId, conversationId: 'cv', body: `text ${id}` } as Message,
  conversation: { id: 'cv', orgId, inboxId: 'ibx', contactId: 'ct', channel: 'web' as const, status: 'open' as const, assigneeId: null },
  opensConversation: false,
});

describe('RecentMessages', () => {
  it('answers only for its organization, keeps at most `max`, and forgets text after its time', () => {
    let t = 0;
    const recent = new RecentMessages(2, 1000, () => t);
    recent.remember(entry(1));
    expect(recent.get('org_b', 1)).toBeUndefined();
    expect(recent.get('org_a', 1)?.message.body).toBe('text 1');
    recent.remember(entry(2));
    recent.remember(entry(3));
    expect(recent.get('org_a', 1)).toBeUndefined();
    t = 1500;
    expect(recent.get('org_a', 3)).toBeUndefined();
    recent.remember(entry(4));
    expect(recent.get('org_a', 2)).toBeUndefined();
    expect(recent.get('org_a', 4)?.message.body).toBe('text 4');
  });
});
