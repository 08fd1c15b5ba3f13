import { describe, expect, it } from 'vitest';
import { classifyAutomatic, type AutomaticSignals } from './automatic.ts';

const signals = (headers: Record<string, string>, more: Partial<AutomaticSignals> = {}): AutomaticSignals => ({
  header: (n) => headers[n.toLowerCase()], contentType: 'text/plain', envelopeFrom: 'pat@example.test', fromAddress: 'pat@example.test', ...more,
});

describe('classifyAutomatic', () => {
  it('lets a person\'s mail through, including Auto-Submitted: no', () => {
    expect(classifyAutomatic(signals({}))).toBeUndefined();
    expect(classifyAutomatic(signals({ 'auto-submitted': 'no' }))).toBeUndefined();
    expect(classifyAutomatic(signals({ precedence: 'normal' }))).toBeUndefined();
  });

  it('recognises auto-replies by their headers', () => {
    expect(classifyAutomatic(signals({ 'auto-submitted': 'auto-replied' }))).toBe('auto_reply');
    expect(classifyAutomatic(signals({ 'auto-submitted': 'auto-generated; type=vacation' }))).toBe('auto_reply');
    expect(classifyAutomatic(signals({ 'x-autoreply': 'yes' }))).toBe('auto_reply');
    expect(classifyAutomatic(signals({ 'x-autorespond': 'Out of office' }))).toBe('auto_reply');
    expect(classifyAutomatic(signals({ precedence: 'auto_reply' }))).toBe('auto_reply');
    expect(classifyAutomatic(signals({ precedence: 'junk' }))).toBe('auto_reply');
    expect(classifyAutomatic(signals({ precedence: 'bulk' }))).toBe('list');
    expect(classifyAutomatic(signals({ 'list-id': '<news.example.test>' }))).toBe('list');
  });

  it('recognises bounces: delivery reports, daemons, the null return path', () => {
    expect(classifyAutomatic(signals({}, { contentType: 'multipart/report; report-type=delivery-status; boundary="x"' }))).toBe('bounce');
    expect(classifyAutomatic(signals({}, { contentType: 'multipart/report; report-type=disposition-notification' }))).toBe('auto_reply');
    expect(classifyAutomatic(signals({}, { fromAddress: 'MAILER-DAEMON@mx.example.test' }))).toBe('bounce');
    expect(classifyAutomatic(signals({}, { fromAddress: 'postmaster@example.test' }))).toBe('bounce');
    expect(classifyAutomatic(signals({}, { envelopeFrom: '' }))).toBe('auto_reply');
    expect(classifyAutomatic(signals({}, { envelopeFrom: undefined }))).toBeUndefined();
  });
});
