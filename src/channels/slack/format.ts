/**
 * Text between Slack's mrkdwn and the patient's plain text.
 * Slack escapes &, < and > and wraps links and mentions in angle brackets ("Formatting text for
 * app surfaces"); a patient must see none of that markup.
 */

export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A patient's message as a Slack block quote, escaped so it cannot mention @channel or link. */
export function quoteForSlack(text: string, maxChars = 2900): string {
  const clipped = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  return escapeSlack(clipped).split('\n').map((l) => `>${l}`).join('\n');
}

export function slackToPlain(text: string): string {
  return text
    .replace(/<(https?:\/\/|mailto:|tel:)([^|>]+)\|([^>]+)>/g, (_m, scheme: string, rest: string, label: string) => {
      const url = `${scheme}${rest}`;
      const bare = url.replace(/^mailto:|^tel:/, '');
      return label === bare || label === url ? bare : `${label} (${bare})`;
    })
    .replace(/<(https?:\/\/[^>]+)>/g, '$1')
    .replace(/<(?:mailto|tel):([^>]+)>/g, '$1')
    .replace(/<#[A-Z0-9]+\|([^>]+)>/g, '#$1')
    .replace(/<@[A-Z0-9]+\|([^>]+)>/g, '@$1')
    .replace(/<@[A-Z0-9]+>/g, '')
    .replace(/<!(here|channel|everyone)(\|[^>]*)?>/g, '')
    .replace(/<!subteam\^[A-Z0-9]+\|([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/** `note: ...` (any case, optional spaces) keeps a thread reply internal. */
export function parseNote(text: string): { internal: boolean; body: string } {
  const m = /^\s*note\s*:\s*/i.exec(text);
  return m ? { internal: true, body: text.slice(m[0].length).trim() } : { internal: false, body: text.trim() };
}
