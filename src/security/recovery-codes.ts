import { createHash, randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Ten single-use codes like "k7qm-2xhd-9tfa": 75 bits each, easy to read from paper. */
export function newRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => Array.from({ length: 3 }, () =>
    Array.from({ length: 4 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')).join('-'));
}

/** Stored form. Codes have enough entropy that a plain SHA-256 is safe; normalised so spaces,
 *  case and missing dashes in what the person types do not matter. */
export function hashRecoveryCode(code: string): string {
  const normal = code.toLowerCase().replace(/[^a-z0-9]/g, '');
  return createHash('sha256').update(`bedside-recovery:${normal}`).digest('hex');
}
