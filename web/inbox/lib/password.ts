/**
 * A password strength hint for enrolment. The server has the last word (`weak_password`); this
 * only helps people pick a long passphrase before they submit.
 */

export const MIN_PASSWORD_LENGTH = 12;

export type StrengthLevel = 0 | 1 | 2 | 3 | 4;

export interface Strength {
  level: StrengthLevel;
  /** "Too short", "Weak", "Fair", "Good", "Strong". */
  label: string;
  /** What to do about it, or what is good about it. */
  hint: string;
  /** Long enough to submit. */
  acceptable: boolean;
}

const COMMON = [
  'password', 'passw0rd', 'qwerty', 'letmein', 'welcome', 'admin', 'iloveyou', 'monkey', 'dragon',
  'abc123', '123456', 'football', 'baseball', 'sunshine', 'princess', 'trustno1', 'bedside', 'clinic',
  'hospital', 'doctor', 'nurse', 'health', 'patient',
];

const SEQUENCES = ['abcdefghijklmnopqrstuvwxyz', '01234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

/** Length after collapsing runs ("aaaa" counts as 1) and sequences ("1234" counts as 1). */
function effectiveLength(pw: string): number {
  const s = pw.toLowerCase();
  let n = 0;
  let i = 0;
  while (i < s.length) {
    let j = i + 1;
    while (j < s.length && s[j] === s[i]) j++;
    if (j - i >= 3) {
      n++;
      i = j;
      continue;
    }
    let k = i;
    while (k + 1 < s.length && SEQUENCES.some((q) => q.includes(s.slice(i, k + 2)))) k++;
    if (k - i + 1 >= 4) {
      n++;
      i = k + 1;
      continue;
    }
    n++;
    i++;
  }
  return n;
}

export function passwordStrength(pw: string, context: string[] = []): Strength {
  if (pw.length < MIN_PASSWORD_LENGTH) {
    const more = MIN_PASSWORD_LENGTH - pw.length;
    return {
      level: 0,
      label: 'Too short',
      hint: `Use at least ${MIN_PASSWORD_LENGTH} characters (${more} more). A few unrelated words make a good passphrase.`,
      acceptable: false,
    };
  }
  const lower = pw.toLowerCase();
  let eff = effectiveLength(pw);
  for (const w of [...COMMON, ...context.map((c) => c.toLowerCase()).filter((c) => c.length >= 3)]) {
    if (lower.includes(w)) eff -= w.length - 1;
  }
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(pw)).length;
  const score = eff + (classes - 1) * 2;
  if (eff < 8) {
    return { level: 1, label: 'Weak', hint: 'Avoid common words, your name or email, repeats and sequences like 1234.', acceptable: true };
  }
  if (score < 16) return { level: 2, label: 'Fair', hint: 'Longer is stronger: add another word or two.', acceptable: true };
  if (score < 22) return { level: 3, label: 'Good', hint: 'Good. One more word would make it strong.', acceptable: true };
  return { level: 4, label: 'Strong', hint: 'Strong password.', acceptable: true };
}
