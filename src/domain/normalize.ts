/** Canonical forms for look-ups: the same person typed two ways must find the same contact. */

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Digits only, with a leading + kept: "+1 (555) 010-0777" and "+15550100777" are one number. */
export function normalizePhone(phone: string): string {
  const t = phone.trim();
  return `${t.startsWith('+') ? '+' : ''}${t.replace(/\D/g, '')}`;
}

/** Words for the message search index: lower case, letters and digits, at least two characters. */
export function searchTerms(text: string, max = 200): string[] {
  const words = text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]{2,}/gu) ?? [];
  return [...new Set(words)].slice(0, max);
}
