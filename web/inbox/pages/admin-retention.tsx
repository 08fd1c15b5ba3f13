/** Data retention (owners only): how long message content is kept. */
import { useEffect, useState } from 'preact/hooks';
import type { RetentionSettings } from '../api-types.ts';
import { errorMessage } from '../lib/api.ts';
import { countLabel, parseRetentionDays, RETENTION_MAX_DAYS, RETENTION_MIN_DAYS, retentionLength } from '../lib/records.ts';
import { announce, ErrorBox, FieldError } from '../ui/bits.tsx';
import { api } from '../ui/client.ts';
import { ConfirmDialog } from '../ui/dialog.tsx';
import type { HeadingRef } from './admin.tsx';

export function RetentionAdmin({ heading }: { heading: HeadingRef }) {
  const [current, setCurrent] = useState<number | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [value, setValue] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [shorten, setShorten] = useState<number | null>(null);

  const load = () => {
    setLoadError(null);
    api<RetentionSettings>('GET', '/api/admin/retention').then(
      (r) => {
        setCurrent(r.retentionDays);
        setValue(String(r.retentionDays));
      },
      (err) => setLoadError(errorMessage(err)),
    );
  };
  useEffect(load, []);

  const save = async (days: number) => {
    setBusy(true);
    setSaveError(null);
    try {
      const r = await api<RetentionSettings>('PUT', '/api/admin/retention', { body: { retentionDays: days } });
      setCurrent(r.retentionDays);
      setValue(String(r.retentionDays));
      announce(`Saved: message content is kept for ${countLabel(r.retentionDays, 'day')} (${retentionLength(r.retentionDays)}).`);
    } catch (err) {
      setSaveError(errorMessage(err));
    } finally {
      setBusy(false);
      setShorten(null);
    }
  };

  const submit = (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const parsed = parseRetentionDays(value);
    setSaveError(null);
    if ('error' in parsed) {
      setFieldError(parsed.error);
      document.getElementById('retention-days')?.focus();
      return;
    }
    setFieldError(null);
    // A shorter period deletes content at the next sweep: ask first.
    if (current !== null && parsed.days < current) setShorten(parsed.days);
    else void save(parsed.days);
  };

  const typed = parseRetentionDays(value);
  const typedLength = 'days' in typed ? retentionLength(typed.days) : '';

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>Data retention</h1>
      {loadError && (
        <ErrorBox>
          <p>{loadError}</p>
          <button type="button" class="btn" onClick={load}>Try again</button>
        </ErrorBox>
      )}
      {current === null && !loadError && <p role="status">Loading the retention period…</p>}
      {current !== null && (
        <>
          <p>
            Message content is kept for <strong>{countLabel(current, 'day')}</strong> ({retentionLength(current)}).
          </p>
          <form class="panel" onSubmit={submit} noValidate aria-labelledby="retention-h">
            <h2 id="retention-h">Retention period</h2>
            <p id="retention-about">
              Messages older than this are deleted permanently by an automatic sweep that runs regularly. Contacts under legal
              hold are kept: none of their messages are deleted until the hold is lifted. Check the period your practice must
              keep records for before changing it.
            </p>
            <div class="fld">
              <label for="retention-days">Keep message content for (days)</label>
              <input
                id="retention-days"
                class="num"
                type="number"
                inputMode="numeric"
                min={RETENTION_MIN_DAYS}
                max={RETENTION_MAX_DAYS}
                step={1}
                required
                value={value}
                aria-invalid={fieldError ? 'true' : undefined}
                aria-describedby={`retention-hint${fieldError ? ' retention-err' : ''}`}
                onInput={(e) => setValue(e.currentTarget.value)}
              />
              <p class="hint" id="retention-hint">
                From {RETENTION_MIN_DAYS} to {new Intl.NumberFormat().format(RETENTION_MAX_DAYS)} days.{typedLength && ` That is ${typedLength}.`}
              </p>
              {fieldError && <FieldError id="retention-err">{fieldError}</FieldError>}
            </div>
            {saveError && <ErrorBox>{saveError}</ErrorBox>}
            <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>{busy ? 'Saving…' : 'Save retention period'}</button>
          </form>
        </>
      )}
      {shorten !== null && current !== null && (
        <ConfirmDialog
          title="Shorten the retention period?"
          confirmLabel={`Keep for ${countLabel(shorten, 'day')}`}
          danger
          busy={busy}
          onConfirm={() => void save(shorten)}
          onCancel={() => setShorten(null)}
        >
          <p>
            From {countLabel(current, 'day')} to {countLabel(shorten, 'day')} ({retentionLength(shorten)}). Message content older
            than that is deleted permanently at the next sweep and cannot be recovered. Contacts under legal hold are kept.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
