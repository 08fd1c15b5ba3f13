import { describe, expect, it } from 'vitest';
import { htmlToText, trimReply } from './trim.ts';

describe('trimReply', () => {
  it('cuts Gmail and Apple Mail quoted history, including a wrapped attribution line', () => {
    expect(trimReply('Thursday works.\n\nOn Mon, 27 Nov 2026 at 10:00, Front Desk <desk@example-clinic.org> wrote:\n> Would Thursday suit?\n> Thanks')).toBe('Thursday works.');
    expect(trimReply('Yes please\n\nOn Mon, Nov 27, 2026 at 10:00 AM Riverside Front Desk <\ndesk@example-clinic.org> wrote:\n\n> Hello')).toBe('Yes please');
    expect(trimReply('Merci\n\nLe lun. 27 nov. 2026 à 10:00, Cabinet <a@b.fr> a écrit :\n> Bonjour')).toBe('Merci');
  });

  it('cuts an Outlook header block and its underscore rule', () => {
    const outlook = 'See you then.\r\n\r\n________________________________\r\nFrom: Front Desk <desk@example-clinic.org>\r\nSent: Monday, November 27, 2026 10:00 AM\r\nTo: Pat <pat@example.test>\r\nSubject: Your visit\r\n\r\nWould Thursday suit?';
    expect(trimReply(outlook)).toBe('See you then.');
    expect(trimReply('Ok\n\n-----Original Message-----\nFrom: x\nquoted')).toBe('Ok');
    expect(trimReply('Noted\n\nFrom: Front Desk <desk@example-clinic.org>\nDate: Mon, 27 Nov 2026\nSubject: Re: visit\nTo: me\n\nold text')).toBe('Noted');
  });

  it('drops signatures and mobile footers, and interleaved > lines', () => {
    expect(trimReply('Thanks!\n-- \nPat Example\n555 0100')).toBe('Thanks!');
    expect(trimReply('Running late\n\nSent from my iPhone')).toBe('Running late');
    expect(trimReply('> Can you come at 9?\nYes\n> And bring your card?\nWill do')).toBe('Yes\nWill do');
  });

  it('keeps text that only looks similar, and never returns nothing', () => {
    expect(trimReply('From: the pharmacy I was told to call you.\nIs that right?')).toBe('From: the pharmacy I was told to call you.\nIs that right?');
    expect(trimReply('On second thought, Friday is better.')).toBe('On second thought, Friday is better.');
    expect(trimReply('> only a quote')).toBe('> only a quote');
    expect(trimReply('   ')).toBe('');
  });
});

describe('htmlToText', () => {
  it('removes scripts, styles, tags and quoted blockquotes, keeps line breaks and decodes entities', () => {
    const html = '<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p>Hello &amp; thanks</p><div>Line<br>two</div>'
      + '<img src=x onerror=alert(2)><blockquote>old quoted text</blockquote><a href="javascript:alert(3)">link</a></body></html>';
    const text = htmlToText(html);
    expect(text).toBe('Hello & thanks\nLine\ntwo\nlink');
    expect(text).not.toMatch(/alert|<|color/);
  });
});
