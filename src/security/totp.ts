/**
 * TOTP (RFC 6238): 6 digits, 30-second steps, SHA-1 (what every authenticator app supports).
 * One step of clock drift either way is accepted, and a step once used is never accepted again.
 */
import { authenticator } from 'otplib';
import QRCode from 'qrcode';

const STEP_SECONDS = 30;
authenticator.options = { step: STEP_SECONDS, window: 1, digits: 6 };

export function newTotpSecret(): string {
  return authenticator.generateSecret(20);
}

export function otpauthUrl(secret: string, account: string, issuer: string): string {
  return authenticator.keyuri(account, issuer, secret);
}

export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The time step the code belongs to, or undefined when it matches none in the window. */
export function matchTotp(secret: string, code: string, now = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const current = Math.floor(now / 1000 / STEP_SECONDS);
  for (const delta of [0, -1, 1]) {
    const step = current + delta;
    const expected = authenticator.clone({ epoch: step * STEP_SECONDS * 1000, window: 0 }).generate(secret);
    if (expected === code) return step;
  }
  return undefined;
}

/** For tests and the CLI: the code an authenticator app would show at `now`. */
export function totpCode(secret: string, now = Date.now()): string {
  return authenticator.clone({ epoch: now, window: 0 }).generate(secret);
}
