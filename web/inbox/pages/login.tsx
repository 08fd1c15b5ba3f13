import { useEffect, useRef, useState } from 'preact/hooks';
import type { LoginResponse, Session } from '../api-types.ts';
import { ApiError, errorMessage } from '../lib/api.ts';
import { digitsOnly, plural } from '../lib/format.ts';
import { safeNext } from '../lib/routes.ts';
import { Announcer, ErrorBox } from '../ui/bits.tsx';
import { api, setSession } from '../ui/client.ts';
import { navigate } from '../ui/router.tsx';

export interface LoginProps {
  next: string | null;
  reason: 'idle' | 'expired' | null;
  idleMinutes: number | null;
}

type Step = 'password' | 'code' | 'recovery';

export function LoginPage({ next, reason, idleMinutes }: LoginProps) {
  const [step, setStep] = useState<Step>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Bedside';
  }, []);
  useEffect(() => {
    first.current?.focus();
  }, [step]);

  const done = (s: Session) => {
    setSession(s);
    navigate(safeNext(next, location.origin) ?? '/inbox', { replace: true });
  };

  const submitPassword = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!email.trim() || !password) {
      setError('Enter your email address and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api<LoginResponse>('POST', '/api/auth/login', { body: { email: email.trim(), password }, session: false });
      setPassword('');
      setStep('code');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const submitCode = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const body = step === 'code' ? { code: digitsOnly(code) } : { recoveryCode: recovery.trim() };
    if (step === 'code' && body.code?.length !== 6) {
      setError('Enter the 6-digit code from your authenticator app.');
      return;
    }
    if (step === 'recovery' && !recovery.trim()) {
      setError('Enter one of your recovery codes.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      done(await api<Session>('POST', '/api/auth/verify', { body, session: false }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && err.code !== 'invalid_code') {
        // The pending sign-in ran out: start again from the password.
        setStep('password');
        setCode('');
        setRecovery('');
        setError('Your sign-in took too long. Enter your email and password again.');
      } else {
        setError(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  };

  const errId = error ? 'login-error' : undefined;
  let notice: string | null = null;
  if (reason === 'idle') {
    notice = idleMinutes
      ? `You were signed out after ${plural(idleMinutes, 'minute')} without activity.`
      : 'You were signed out after a period without activity.';
  } else if (reason === 'expired') {
    notice = 'Your session ended. Sign in again to continue.';
  }

  return (
    <main id="main" class="auth">
      <div class="card">
        <p class="brand">Bedside</p>
        <h1>Sign in</h1>
        {notice && step === 'password' && <p class="notice" role="status">{notice}</p>}
        {step === 'password' ? (
          <form key="password" onSubmit={submitPassword} noValidate>
            <div class="fld">
              <label for="login-email">Email</label>
              <input
                id="login-email"
                ref={first}
                type="email"
                autoComplete="username"
                required
                value={email}
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={errId}
                onInput={(e) => setEmail(e.currentTarget.value)}
              />
            </div>
            <div class="fld">
              <label for="login-password">Password</label>
              <input
                id="login-password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={errId}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </div>
            {error && <ErrorBox id="login-error">{error}</ErrorBox>}
            <button type="submit" class="btn primary wide" aria-disabled={busy ? 'true' : undefined}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        ) : (
          <form key="code" onSubmit={submitCode} noValidate>
            <h2>Two-step verification</h2>
            {step === 'code' ? (
              <div class="fld" key="totp">
                <label for="login-code">Authentication code</label>
                <p class="hint" id="login-code-hint">The 6-digit code from your authenticator app.</p>
                <input
                  id="login-code"
                  ref={first}
                  class="code"
                  type="text"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="[0-9]*"
                  required
                  value={code}
                  aria-invalid={error ? 'true' : undefined}
                  aria-describedby={error ? 'login-code-hint login-error' : 'login-code-hint'}
                  onInput={(e) => {
                  // Controlled inputs keep what was typed when the state does not change: trim it here.
                  const v = digitsOnly(e.currentTarget.value);
                  if (e.currentTarget.value !== v) e.currentTarget.value = v;
                  setCode(v);
                }}
                />
              </div>
            ) : (
              <div class="fld" key="recovery">
                <label for="login-recovery">Recovery code</label>
                <p class="hint" id="login-recovery-hint">One of the codes you saved when you set up your account. Each works once.</p>
                <input
                  id="login-recovery"
                  ref={first}
                  type="text"
                  autoComplete="off"
                  autoCapitalize="none"
                  spellcheck={false}
                  required
                  value={recovery}
                  aria-invalid={error ? 'true' : undefined}
                  aria-describedby={error ? 'login-recovery-hint login-error' : 'login-recovery-hint'}
                  onInput={(e) => setRecovery(e.currentTarget.value)}
                />
              </div>
            )}
            {error && <ErrorBox id="login-error">{error}</ErrorBox>}
            <button type="submit" class="btn primary wide" aria-disabled={busy ? 'true' : undefined}>
              {busy ? 'Checking…' : 'Verify'}
            </button>
            <p class="alt">
              <button
                type="button"
                class="linkish"
                onClick={() => {
                  setError(null);
                  setStep(step === 'code' ? 'recovery' : 'code');
                }}
              >
                {step === 'code' ? 'Use a recovery code instead' : 'Use your authenticator app instead'}
              </button>
            </p>
          </form>
        )}
        <Announcer />
      </div>
    </main>
  );
}
