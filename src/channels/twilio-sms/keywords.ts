/**
 * Carrier-mandated SMS keywords (CTIA; what Twilio's Advanced Opt-Out recognises): the whole
 * message, trimmed and in any case, is the keyword.
 */
export type SmsKeyword = 'stop' | 'start' | 'help';

const STOP = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const START = new Set(['START', 'YES', 'UNSTOP']);
const HELP = new Set(['HELP', 'INFO']);

export function smsKeyword(body: string): SmsKeyword | undefined {
  const word = body.trim().replace(/[.!]+$/, '').toUpperCase();
  if (STOP.has(word)) return 'stop';
  if (START.has(word)) return 'start';
  if (HELP.has(word)) return 'help';
  return undefined;
}

/** Twilio accepts up to 1600 characters per message (it concatenates the segments itself);
 *  longer replies go as several messages, split at a line or word boundary. */
export const SMS_MAX_CHARS = 1600;

export function splitSms(body: string, max = SMS_MAX_CHARS): string[] {
  const parts: string[] = [];
  let rest = body.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const cut = Math.max(window.lastIndexOf('\n'), window.lastIndexOf(' '));
    const at = cut > max / 2 ? cut : max;
    parts.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}
