import { describe, expect, it } from 'vitest';
import { attestationKind, channelLabel, contactName, deliveryText, digitsOnly, fileSize, groupSecret, initials, newClientId, oneLine, plural, recoveryCodesText, svgDataUrl } from './format.ts';

describe('names', () => {
  it('shows the contact, or "Visitor {ref}"', () => {
    expect(contactName({ ref: '7F3K', contact: { id: 'c', displayName: 'Jane Doe' } })).toBe('Jane Doe');
    expect(contactName({ ref: '7F3K', contact: { id: 'c', displayName: '  ' } })).toBe('Visitor 7F3K');
    expect(contactName({ ref: '7F3K', contact: { id: 'c', displayName: null } })).toBe('Visitor 7F3K');
  });

  it('makes initials', () => {
    expect(initials('Jane Q. Doe')).toBe('JD');
    expect(initials('cher')).toBe('C');
    expect(initials('  Émile   zola ')).toBe('ÉZ');
    expect(initials('Ann (front desk)')).toBe('AD');
    expect(initials('')).toBe('?');
    expect(initials(null)).toBe('?');
  });

  it('labels channels', () => {
    expect(channelLabel('web')).toBe('Web chat');
    expect(channelLabel('whatsapp')).toBe('WhatsApp');
    expect(channelLabel('pager')).toBe('pager');
  });

  it('pluralises', () => {
    expect(plural(1, 'minute')).toBe('1 minute');
    expect(plural(15, 'minute')).toBe('15 minutes');
  });
});

describe('enrolment helpers', () => {
  it('groups a TOTP secret in fours', () => {
    expect(groupSecret('jbswy3dpehpk3pxp')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(groupSecret('JBSW Y3DP-EH')).toBe('JBSW Y3DP EH');
  });

  it('encodes an SVG as a base64 data URL, any characters included', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><title>Café ✓</title></svg>';
    const url = svgDataUrl(svg);
    expect(url.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64').toString('utf8')).toBe(svg);
  });

  it('writes the recovery codes file', () => {
    const text = recoveryCodesText(['aaaa-bbbb', 'cccc-dddd'], { email: 'ann@clinic.test', orgName: 'Clinic' }, new Date('2025-03-03T10:00:00Z'));
    expect(text).toContain('ann@clinic.test (Clinic)');
    expect(text).toContain('2025-03-03');
    expect(text.split('\n')).toEqual(expect.arrayContaining(['aaaa-bbbb', 'cccc-dddd']));
  });

  it('keeps one-time codes to digits', () => {
    expect(digitsOnly('123 456')).toBe('123456');
    expect(digitsOnly('12a3-4567')).toBe('123456');
  });
});

describe('client ids', () => {
  const pattern = /^[A-Za-z0-9_-]{8,64}$/;
  it('uses randomUUID where there is one', () => {
    expect(newClientId({ randomUUID: () => 'fixed-uuid-value', getRandomValues: (a) => a })).toBe('fixed-uuid-value');
  });

  it('makes a v4 UUID from random bytes on an insecure origin', () => {
    const getRandomValues = ((a: Uint8Array) => crypto.getRandomValues(a)) as unknown as Crypto['getRandomValues'];
    const id = newClientId({ getRandomValues });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).toMatch(pattern);
    expect(newClientId()).toMatch(pattern);
  });
});

describe('misc', () => {
  it('shortens previews to one line', () => {
    expect(oneLine('a\n\nb   c')).toBe('a b c');
    expect(oneLine('x'.repeat(200), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('reads the Slack attestation as record or string', () => {
    expect(attestationKind({ kind: 'baa', byStaffId: 's', at: '2025-01-01T00:00:00Z' })).toBe('baa');
    expect(attestationKind('no_phi')).toBe('no_phi');
    expect(attestationKind({ kind: 'maybe' })).toBeNull();
    expect(attestationKind(null)).toBeNull();
  });
});

describe('files and delivery', () => {
  it('sizes files for people', () => {
    expect(fileSize(900)).toBe('900 B');
    expect(fileSize(12_800)).toBe('13 KB');
    expect(fileSize(3.4 * 1024 * 1024)).toBe('3.4 MB');
  });

  it('says where a reply is, and why it did not go', () => {
    expect(deliveryText('delivered', null)).toBe('Delivered');
    expect(deliveryText('refused', 'opted_out')).toBe('Not sent: the patient opted out (STOP)');
    expect(deliveryText('failed', '30003')).toBe('Failed: error 30003');
  });
});
