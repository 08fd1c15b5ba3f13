import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeSlack, parseNote, quoteForSlack, slackToPlain } from './format.ts';

describe('Slack text formatting', () => {
  it('turns Slack markup into what a patient should read', () => {
    expect(slackToPlain('See <https://clinic.example/parking|our parking page> &amp; call')).toBe('See our parking page (https://clinic.example/parking) & call');
    expect(slackToPlain('<https://clinic.example>')).toBe('https://clinic.example');
    expect(slackToPlain('<mailto:desk@clinic.example|desk@clinic.example>')).toBe('desk@clinic.example');
    expect(slackToPlain('<!here> 2 &lt; 3 &gt; 1')).toBe('2 < 3 > 1');
    expect(slackToPlain('<@U024BE7LH> can you take this?')).toBe('can you take this?');
    expect(slackToPlain('in <#C024BE7LR|front-desk>')).toBe('in #front-desk');
  });

  it('escapes patient text so it cannot mention @channel or inject links', () => {
    expect(escapeSlack('<!channel> <http://evil|x> & co')).toBe('&lt;!channel&gt; &lt;http://evil|x&gt; &amp; co');
    expect(quoteForSlack('line one\nline two')).toBe('>line one\n>line two');
  });

  it('round-trips any patient text through escape and unescape', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const noMarkup = s.replace(/[<>]/g, '');
      expect(slackToPlain(escapeSlack(noMarkup))).toBe(slackToPlain(noMarkup.replace(/&(lt|gt|amp);/g, '&amp;$1;')));
    }));
    fc.assert(fc.property(fc.string(), (s) => {
      const escaped = escapeSlack(s);
      expect(escaped).not.toMatch(/[<>]/);
    }));
  });

  it('recognises note: replies in any case and keeps only the note text', () => {
    expect(parseNote('note: called her back')).toEqual({ internal: true, body: 'called her back' });
    expect(parseNote('  NOTE:  insurance pending ')).toEqual({ internal: true, body: 'insurance pending' });
    expect(parseNote('Notebook is at the desk')).toEqual({ internal: false, body: 'Notebook is at the desk' });
    expect(parseNote('Please note: bring your card')).toEqual({ internal: false, body: 'Please note: bring your card' });
  });
});
