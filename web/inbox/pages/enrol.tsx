import { useEffect, useRef, useState } from 'preact/hooks';
import type { EnrolCompleteResponse, EnrolInspectResponse } from '../api-types.ts';
import { ApiError, errorMessage } from '../lib/api.ts';
import { digitsOnly, groupSecret, recoveryCodesText, svgDataUrl } from '../lib/format.ts';
import { MIN_PASSWORD_LENGTH, passwordStrength } from '../lib/password.ts';
import { enrolToken } from '../lib/routes.ts';
import { Announcer, CopyButton, ErrorBox, FieldError } from '../ui/bits.tsx';
import { api, setSession } from '../ui/client.ts';
import { navigate } from '../ui/router.tsx';

type Step = 'loading' | 'invalid' | 'details' | 'totp' | 'codes';

interface Invalid {
  title: string;
  text: string;
}

function invalidFor(err: unknown): Invalid {
  if (err instanceof ApiError && err.code === 'enrolment_link_used') {
    return { title: 'This link has already been used', text: 'Each enrolment link works once.' };
  }
  if (err instanceof ApiError && (err.status === 410 || err.code === 'enrolment_link_expired')) {
    return { title: 'This link has expired', text: 'Enrolment links are valid for 24 hours.' };
  }
  return { title: 'This link can’t be used', text: 'It may be incomplete, or it was replaced by a newer one.' };
}

// The token lives only in memory: it is taken from the fragment and removed from the address bar.
let heldToken: string | null = null;

export function EnrolPage() {
  const [step, setStep] = useState<Step>('loading');
  const [invalid, setInvalid] = useState<Invalid | null>(null);
  const [info, setInfo] = useState<EnrolInspectResponse | null>(null);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [show, setShow] = useState(false);
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [codes, setCodes] = useState<string[]>([]);
  const [session, setDone] = useState<EnrolCompleteResponse | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const token = useRef<string | null>(null);

  useEffect(() => {
    document.title = 'Set up your account · Bedside';
    const fromHash = enrolToken(location.hash);
    if (fromHash) {
      heldToken = fromHash;
      history.replaceState(null, '', '/enrol');
    }
    token.current = heldToken;
    if (!heldToken) {
      setInvalid({ title: 'This page needs your enrolment link', text: 'Open the link from your invitation again.' });
      setStep('invalid');
      return;
    }
    api<EnrolInspectResponse>('POST', '/api/enrol/inspect', { body: { token: heldToken }, session: false })
      .then((r) => {
        setInfo(r);
        setName(r.displayName ?? '');
        setStep('details');
      })
      .catch((err) => {
        if (err instanceof ApiError && (err.status === 404 || err.status === 410)) setInvalid(invalidFor(err));
        else setInvalid({ title: 'Something went wrong', text: `${errorMessage(err)} Reload the page to try again.` });
        setStep('invalid');
      });
  }, []);

  useEffect(() => {
    if (step !== 'loading') heading.current?.focus();
  }, [step]);

  const strength = passwordStrength(password, info ? [(info.email ?? '').split('@')[0] ?? '', name, info.orgName] : [name]);

  const submitDetails = (e: Event) => {
    e.preventDefault();
    const bad: Record<string, string> = {};
    if (!name.trim()) bad.name = 'Enter the name your colleagues and patients will see.';
    if (password.length < MIN_PASSWORD_LENGTH) bad.password = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
    else if (confirm !== password) bad.confirm = 'The two passwords are not the same.';
    setErrors(bad);
    const firstBad = ['name', 'password', 'confirm'].find((k) => bad[k]);
    if (firstBad) document.getElementById(`enrol-${firstBad}`)?.focus();
    else setStep('totp');
  };

  const submitTotp = async (e: Event) => {
    e.preventDefault();
    if (busy || !token.current) return;
    const totpCode = digitsOnly(code);
    if (totpCode.length !== 6) {
      setErrors({ code: 'Enter the 6-digit code your authenticator app shows.' });
      document.getElementById('enrol-code')?.focus();
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const r = await api<EnrolCompleteResponse>('POST', '/api/enrol/complete', {
        body: { token: token.current, displayName: name.trim(), password, totpCode },
        session: false,
      });
      heldToken = null;
      setPassword('');
      setConfirm('');
      setCodes(r.recoveryCodes);
      setDone(r);
      setStep('codes');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'weak_password') {
        setErrors({ password: err.message });
        setStep('details');
      } else if (err instanceof ApiError && err.status === 410) {
        setInvalid(invalidFor(err));
        setStep('invalid');
      } else {
        setErrors({ code: errorMessage(err) });
        document.getElementById('enrol-code')?.focus();
      }
    } finally {
      setBusy(false);
    }
  };

  const download = () => {
    if (!info) return;
    const blob = new Blob([recoveryCodesText(codes, { email: info.email ?? name, orgName: info.orgName }, new Date())], { type: 'text/plain' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = 'bedside-recovery-codes.txt';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const described = (...ids: (string | false | undefined)[]) => ids.filter(Boolean).join(' ') || undefined;

  let body;
  if (step === 'loading') {
    body = (
      <>
        <h1>Set up your account</h1>
        <p role="status">Checking your link…</p>
      </>
    );
  } else if (step === 'invalid' && invalid) {
    body = (
      <>
        <h1 ref={heading} tabIndex={-1}>{invalid.title}</h1>
        <p>{invalid.text}</p>
        <p>Ask your practice administrator for a new link.</p>
      </>
    );
  } else if (step === 'details' && info) {
    body = (
      <>
        <h1 ref={heading} tabIndex={-1}>Set up your account</h1>
        <p class="lead">
          Join <strong>{info.orgName}</strong>{info.email && <> as <strong>{info.email}</strong></>}.
        </p>
        <form onSubmit={submitDetails} noValidate>
          <div class="fld">
            <label for="enrol-name">Display name</label>
            <p class="hint" id="enrol-name-hint">Shown to colleagues, and to patients with your replies.</p>
            <input
              id="enrol-name"
              type="text"
              autoComplete="name"
              required
              maxLength={80}
              value={name}
              aria-invalid={errors.name ? 'true' : undefined}
              aria-describedby={described('enrol-name-hint', errors.name && 'enrol-name-err')}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            {errors.name && <FieldError id="enrol-name-err">{errors.name}</FieldError>}
          </div>
          {info.email && (
            <div class="fld">
              <label for="enrol-email">Email</label>
              <input id="enrol-email" type="email" autoComplete="username" readOnly value={info.email} />
            </div>
          )}
          <div class="fld">
            <label for="enrol-password">Password</label>
            <div class="pw">
              <input
                id="enrol-password"
                type={show ? 'text' : 'password'}
                autoComplete="new-password"
                required
                minLength={MIN_PASSWORD_LENGTH}
                value={password}
                aria-invalid={errors.password ? 'true' : undefined}
                aria-describedby={described('enrol-strength', errors.password && 'enrol-password-err')}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
              <button type="button" class="btn" aria-pressed={show ? 'true' : 'false'} onClick={() => setShow(!show)}>
                {show ? 'Hide password' : 'Show password'}
              </button>
            </div>
            <p class={`strength s${strength.level}`} id="enrol-strength">
              <span class="bar" aria-hidden="true"><span /></span>
              <strong>{password ? strength.label : `At least ${MIN_PASSWORD_LENGTH} characters.`}</strong>{' '}
              {password ? strength.hint : 'A few unrelated words make a strong, memorable passphrase.'}
            </p>
            {errors.password && <FieldError id="enrol-password-err">{errors.password}</FieldError>}
          </div>
          <div class="fld">
            <label for="enrol-confirm">Confirm password</label>
            <input
              id="enrol-confirm"
              type={show ? 'text' : 'password'}
              autoComplete="new-password"
              required
              value={confirm}
              aria-invalid={errors.confirm ? 'true' : undefined}
              aria-describedby={errors.confirm ? 'enrol-confirm-err' : undefined}
              onInput={(e) => setConfirm(e.currentTarget.value)}
            />
            {errors.confirm && <FieldError id="enrol-confirm-err">{errors.confirm}</FieldError>}
          </div>
          <button type="submit" class="btn primary wide">Continue</button>
        </form>
      </>
    );
  } else if (step === 'totp' && info) {
    const grouped = groupSecret(info.totpSecret);
    body = (
      <>
        <h1 ref={heading} tabIndex={-1}>Set up two-step verification</h1>
        <ol class="steps">
          <li>Open an authenticator app on your phone (for example Google Authenticator, Microsoft Authenticator or 1Password).</li>
          <li>
            Scan this QR code with it, or <a href={info.otpauthUrl}>open the app from this phone</a>.
            <img class="qr" src={svgDataUrl(info.qrSvg)} alt="QR code for your authenticator app" width={200} height={200} />
          </li>
          <li>
            <span>Or type this key into the app:</span>
            <span class="secret-row">
              <code class="secret">{grouped}</code>
              <CopyButton text={info.totpSecret.replace(/\s/g, '')} label="Copy key" />
            </span>
          </li>
        </ol>
        <form onSubmit={submitTotp} noValidate>
          <div class="fld">
            <label for="enrol-code">Authentication code</label>
            <p class="hint" id="enrol-code-hint">Enter the 6-digit code the app now shows.</p>
            <input
              id="enrol-code"
              class="code"
              type="text"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]*"
              required
              value={code}
              aria-invalid={errors.code ? 'true' : undefined}
              aria-describedby={described('enrol-code-hint', errors.code && 'enrol-code-err')}
              onInput={(e) => {
                  // Controlled inputs keep what was typed when the state does not change: trim it here.
                  const v = digitsOnly(e.currentTarget.value);
                  if (e.currentTarget.value !== v) e.currentTarget.value = v;
                  setCode(v);
                }}
            />
            {errors.code && <FieldError id="enrol-code-err">{errors.code}</FieldError>}
          </div>
          <div class="row-btns">
            <button type="button" class="btn" onClick={() => setStep('details')}>Back</button>
            <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>
              {busy ? 'Finishing…' : 'Finish setup'}
            </button>
          </div>
        </form>
      </>
    );
  } else if (step === 'codes' && info) {
    body = (
      <>
        <h1 ref={heading} tabIndex={-1}>Save your recovery codes</h1>
        <p class="warn">
          These codes are shown only once. Each one signs you in a single time if you lose your phone. Keep them somewhere safe
          and private, such as a password manager.
        </p>
        <ul class="codes" aria-label="Recovery codes">
          {codes.map((c) => <li key={c}><code>{c}</code></li>)}
        </ul>
        <div class="row-btns">
          <button type="button" class="btn" onClick={download}>Download</button>
          <CopyButton text={codes.join('\n')} label="Copy codes" />
          <button
            type="button"
            class="btn primary"
            onClick={() => {
              if (session) setSession(session);
              navigate('/inbox', { replace: true });
            }}
          >
            I have saved them
          </button>
        </div>
      </>
    );
  } else {
    body = <h1>Set up your account</h1>;
  }

  return (
    <main id="main" class="auth">
      <div class={step === 'totp' || step === 'codes' ? 'card wide' : 'card'}>
        <p class="brand">Bedside</p>
        {errors.form && <ErrorBox>{errors.form}</ErrorBox>}
        {/* Keyed by step: each step's fields are new elements, never reused ones with old attributes. */}
        <div key={step}>{body}</div>
        <Announcer />
      </div>
    </main>
  );
}
