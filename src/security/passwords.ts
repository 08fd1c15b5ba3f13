/**
 * Password hashing with argon2id at OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane):
 * about 30 ms here, slow enough to make guessing a stolen hash expensive, fast enough for sign-in.
 */
import argon2 from 'argon2';

export const MIN_PASSWORD_LENGTH = 12;
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the account does not exist, so timing does not reveal that. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword('not-a-real-password-for-timing');
  return dummy;
}

/** Length over composition rules (NIST SP 800-63B); the commonest choices are refused outright. */
export function passwordProblem(password: string, email: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 256) return 'Use at most 256 characters';
  const lower = password.toLowerCase();
  if (lower.includes(email.split('@')[0]?.toLowerCase() ?? '\u0000')) return 'Do not use your e-mail address in the password';
  if (/^(.)\1+$/.test(password) || /^(?:0123456789|1234567890|password|qwertyuiop)/.test(lower)) return 'Choose a less predictable password';
  return undefined;
}
