import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** Canonical forms for look-ups: the same person typed two ways must find the same contact. */

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * E.164 ("+14155550123"), so "(415) 555-0123" typed in a US practice's form and the number an SMS
 * comes from are one number. Numbers without a country code are read in the practice's country;
 * what libphonenumber cannot parse keeps its digits (and a leading +).
 */
export function normalizePhone(phone: string, defaultCountry: CountryCode = 'US'): string {
  const parsed = parsePhoneNumberFromString(phone.trim(), defaultCountry);
  if (parsed?.isValid()) return parsed.number;
  const t = phone.trim();
  return `${t.startsWith('+') ? '+' : ''}${t.replace(/\D/g, '')}`;
}

/** Words for the message search index: lower case, letters and digits, at least two characters. */
export function searchTerms(text: string, max = 200): string[] {
  const words = text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]{2,}/gu) ?? [];
  return [...new Set(words)].slice(0, max);
}
