/**
 * What staff see of an e-mail: the patient's new words, without the quoted history and the
 * signature that mail programs append (the original is kept whole). When trimming would leave
 * nothing, the text is kept as it came: losing a message is worse than showing a quote.
 */
import sanitizeHtml from 'sanitize-html';

/** "On <date>, <name> wrote:" in the languages patients most often write in. */
const ATTRIBUTION = [
  /^on\b.{0,400}\bwrote:?\s*$/i,
  /^le\b.{0,400}\ba écrit\s*:?\s*$/i,
  /^am\b.{0,400}\bschrieb\b.{0,200}:?\s*$/i,
  /^el\b.{0,400}\bescribió:?\s*$/i,
  /^em\b.{0,400}\bescreveu:?\s*$/i,
  /^op\b.{0,400}\bschreef\b.{0,200}:?\s*$/i,
  /^il\b.{0,400}\bha scritto:?\s*$/i,
];
const FORWARD_OR_ORIGINAL = /^-{2,}\s*(original message|forwarded message|mensaje original|message d'origine|ursprüngliche nachricht)\s*-{2,}\s*$/i;
const OUTLOOK_RULE = /^_{10,}\s*$/;
const HEADER_LINE = /^\*?(from|de|von|van|da)\s*:\*?\s/i;
const NEXT_HEADER = /^\*?(sent|date|envoyé|gesendet|enviado|to|subject|objet|betreff|asunto)\s*:\*?/i;
const SIGNATURE = /^(-- ?|—)$/;
const MOBILE_SIGNATURE = /^(sent from my \w+|sent from (outlook|mail|yahoo mail)\b|get outlook for (ios|android)|envoyé de mon \w+|von meinem \w+ gesendet)/i;

function isOutlookHeaderBlock(lines: string[], i: number): boolean {
  if (!HEADER_LINE.test(lines[i] ?? '')) return false;
  // Outlook writes From:, Sent:, To:, Subject: on consecutive lines.
  return lines.slice(i + 1, i + 5).filter((l) => NEXT_HEADER.test(l.trim())).length >= 2;
}

export function trimReply(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const t = line.trim();
    // Gmail wraps a long attribution over two lines.
    const joined = `${t} ${(lines[i + 1] ?? '').trim()}`.trim();
    if (ATTRIBUTION.some((r) => r.test(t)) || (t.length > 0 && !/wrote:?\s*$/i.test(t) && ATTRIBUTION.some((r) => r.test(joined)) && /^(on|le|am|el|em|op|il)\b/i.test(t))) break;
    if (FORWARD_OR_ORIGINAL.test(t) || isOutlookHeaderBlock(lines.map((l) => l.trim()), i)) break;
    if (OUTLOOK_RULE.test(t) && isOutlookHeaderBlock(lines.map((l) => l.trim()), i + 1)) break;
    if (SIGNATURE.test(line.trimEnd()) || MOBILE_SIGNATURE.test(t)) break;
    if (t.startsWith('>')) continue;
    kept.push(line.trimEnd());
  }
  const result = kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return result.length > 0 ? result : text.trim();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

/**
 * HTML mail as plain text: tags and scripts removed (sanitize-html, nothing allowed through),
 * block ends kept as line breaks, quoted history in <blockquote> dropped. Nothing of the HTML is
 * ever rendered.
 */
export function htmlToText(html: string): string {
  const withBreaks = html.replace(/<\s*br\s*\/?>/gi, '\n').replace(/<\/\s*(p|div|li|tr|h[1-6]|table|ul|ol)\s*>/gi, '\n');
  const stripped = sanitizeHtml(withBreaks, {
    allowedTags: [], allowedAttributes: {},
    nonTextTags: ['style', 'script', 'textarea', 'option', 'noscript', 'title', 'head', 'blockquote'],
  });
  return stripped
    .replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_m, e: string) => ENTITIES[e] ?? '')
    .replace(/&#(\d{1,6});/g, (_m, d: string) => String.fromCodePoint(Math.min(Number(d), 0x10ffff)))
    .replace(/[ \t\u00a0]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}
