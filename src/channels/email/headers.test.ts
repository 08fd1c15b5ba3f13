import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { baseSubject, inboundSourceId, isPracticeRecipient, messageIds, oneLine, outboundMessageId, replySubject } from './headers.ts';

describe('e-mail header helpers', () => {
  it('never lets a line break through into a header value', () => {
    expect(oneLine('Hello\r\nBcc: victim@example.test')).toBe('Hello Bcc: victim@example.test');
    fc.assert(fc.property(fc.string(), (s) => {
      expect(oneLine(s)).not.toMatch(/[\r\n]/);
      expect(replySubject(s, 'x')).not.toMatch(/[\r\n]/);
    }));
  });

  it('keeps one Re: across the thread', () => {
    expect(replySubject('Appointment', 'x')).toBe('Re: Appointment');
    expect(replySubject('RE: Re: Fwd: Appointment', 'x')).toBe('Re: Appointment');
    expect(replySubject('AW: Termin', 'x')).toBe('Re: Termin');
    expect(replySubject('', 'Your message to Riverside')).toBe('Re: Your message to Riverside');
    expect(baseSubject('Re[2]: Results')).toBe('Results');
  });

  it('extracts Message-IDs and makes stable, distinct outbound ones', () => {
    expect(messageIds('<a@b> <c@d>\r\n <e@f>')).toEqual(['<a@b>', '<c@d>', '<e@f>']);
    expect(messageIds('no ids here')).toEqual([]);
    const a = outboundMessageId('secret-key-0123456789', 'org1', 7, 'example-clinic.org');
    expect(a).toBe(outboundMessageId('secret-key-0123456789', 'org1', 7, 'example-clinic.org'));
    expect(a).not.toBe(outboundMessageId('secret-key-0123456789', 'org1', 8, 'example-clinic.org'));
    expect(a).toMatch(/^<bedside\.7\.[A-Za-z0-9_-]{24}@example-clinic\.org>$/);
    expect(inboundSourceId('k', '<A@B>', '')).toBe(inboundSourceId('k', '<a@b>', 'other'));
  });

  it('accepts the practice address and its +tags only', () => {
    expect(isPracticeRecipient('Desk@Example-Clinic.org', 'desk@example-clinic.org')).toBe(true);
    expect(isPracticeRecipient('desk+reply@example-clinic.org', 'desk@example-clinic.org')).toBe(true);
    expect(isPracticeRecipient('other@example-clinic.org', 'desk@example-clinic.org')).toBe(false);
    expect(isPracticeRecipient('desk@example-clinic.org.evil.test', 'desk@example-clinic.org')).toBe(false);
    expect(isPracticeRecipient('deskx@example-clinic.org', 'desk@example-clinic.org')).toBe(false);
  });
});
