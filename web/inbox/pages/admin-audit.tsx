/** The audit trail (owners only): the records newest first, the integrity check, and exports. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AdminUser, AuditEntry, AuditPage, AuditVerifyResult, ItemList } from '../api-types.ts';
import { errorMessage } from '../lib/api.ts';
import { actorLabel, appendAuditPage, AUDIT_PAGE_SIZE, auditExportUrl, compactJson, countLabel, outcomeInfo, staffNames, targetLabel, verifySummary } from '../lib/records.ts';
import { fullDateTime, shortDateTime } from '../lib/time.ts';
import { announce, ErrorBox } from '../ui/bits.tsx';
import { api } from '../ui/client.ts';
import type { HeadingRef } from './admin.tsx';

export function AuditAdmin({ heading }: { heading: HeadingRef }) {
  const [items, setItems] = useState<AuditEntry[] | null>(null);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [older, setOlder] = useState<'idle' | 'loading'>('idle');
  const [olderError, setOlderError] = useState<string | null>(null);
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  const [badId, setBadId] = useState<number | null>(null);
  const moreButton = useRef<HTMLButtonElement>(null);
  const endNote = useRef<HTMLParagraphElement>(null);

  const load = () => {
    setError(null);
    api<AuditPage>('GET', '/api/audit', { query: { limit: AUDIT_PAGE_SIZE } }).then(
      (p) => {
        setItems(p.items);
        setNextBefore(p.nextBefore);
      },
      (err) => setError(errorMessage(err)),
    );
  };
  useEffect(() => {
    load();
    // Names for staff ids; the table shows the ids when the list cannot be had.
    api<ItemList<AdminUser>>('GET', '/api/admin/users').then((r) => setNames(staffNames(r.items)), () => {});
  }, []);

  const loadOlder = async () => {
    if (older === 'loading' || nextBefore === null) return;
    setOlder('loading');
    setOlderError(null);
    const hadFocus = document.activeElement === moreButton.current;
    try {
      const p = await api<AuditPage>('GET', '/api/audit', { query: { limit: AUDIT_PAGE_SIZE, before: nextBefore } });
      setItems((list) => appendAuditPage(list ?? [], p));
      setNextBefore(p.nextBefore);
      announce(p.items.length ? `Loaded ${countLabel(p.items.length, 'older record')}.` : 'No older records.');
      // The button goes away at the start of the trail: keep focus on the place it was.
      if (p.nextBefore === null && hadFocus) requestAnimationFrame(() => endNote.current?.focus());
    } catch (err) {
      setOlderError(errorMessage(err));
    } finally {
      setOlder('idle');
    }
  };

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>Audit trail</h1>
      <p>
        Sign-ins, changes and every access to patient records, newest first. Records hold ids and reasons, never patient
        messages.
      </p>
      <IntegrityAndExport onChecked={setBadId} />
      <h2 id="audit-records-h">Records</h2>
      {error && (
        <ErrorBox>
          <p>{error}</p>
          <button type="button" class="btn" onClick={load}>Try again</button>
        </ErrorBox>
      )}
      {!items && !error && <p role="status">Loading the audit trail…</p>}
      {items && items.length === 0 && <p>No records yet.</p>}
      {items && items.length > 0 && (
        <div class="tablewrap wide">
          <table class="grid audit">
            <caption class="sr">Audit records, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => <AuditRow key={e.id} e={e} names={names} bad={e.id === badId} />)}
            </tbody>
          </table>
        </div>
      )}
      {olderError && <ErrorBox>{olderError}</ErrorBox>}
      {items && nextBefore !== null && (
        <div class="row-btns">
          <button type="button" class="btn" ref={moreButton} aria-disabled={older === 'loading' ? 'true' : undefined} onClick={() => void loadOlder()}>
            {older === 'loading' ? 'Loading older records…' : 'Load older records'}
          </button>
        </div>
      )}
      {items && items.length > 0 && nextBefore === null && (
        <p class="hint" tabIndex={-1} ref={endNote}>This is the start of the audit trail: {countLabel(items.length, 'record')} shown.</p>
      )}
    </>
  );
}

function AuditRow({ e, names, bad }: { e: AuditEntry; names: ReadonlyMap<string, string>; bad: boolean }) {
  const actor = actorLabel(e, names);
  const target = targetLabel(e, names);
  const outcome = outcomeInfo(e.outcome);
  const details = compactJson(e.details);
  return (
    <tr class={outcome.tone === 'bad' || bad ? 'bad' : undefined}>
      <th scope="row">
        <time dateTime={e.at} title={fullDateTime(e.at)}>{shortDateTime(e.at, { seconds: true })}</time>
        <br />
        <span class="muted small">Record #{e.id}</span>
        {bad && (
          <>
            <br />
            <strong class="ferr small">Fails the integrity check</strong>
          </>
        )}
      </th>
      <td class="who">
        {actor.kind}
        {actor.who && (
          <>
            <br />
            {actor.named ? actor.who : <code>{actor.who}</code>}
          </>
        )}
        {e.ip && (
          <>
            <br />
            <span class="muted small">from {e.ip}</span>
          </>
        )}
      </td>
      <td><code>{e.action}</code></td>
      <td>
        {target ? (
          <>
            {target.type}
            {target.who && (
              <>
                <br />
                {target.named ? target.who : <code>{target.who}</code>}
              </>
            )}
          </>
        ) : (
          <span class="muted">None</span>
        )}
      </td>
      <td>
        {outcome.tone === 'bad' ? (
          <span class="outcome bad">
            <svg class="ico" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
              <path d="M12 3 2 21h20zM12 10v5M12 18v.5" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" />
            </svg>
            {outcome.label}
          </span>
        ) : (
          <span class="outcome">{outcome.label}</span>
        )}
      </td>
      <td>{details ? <code class="json">{details}</code> : <span class="muted">None</span>}</td>
    </tr>
  );
}

/** `onChecked` gets the id of the first record that failed the check, or null. */
function IntegrityAndExport({ onChecked }: { onChecked: (badId: number | null) => void }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string; chains: number } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const verify = async () => {
    if (busy) return;
    setBusy(true);
    setResult(null);
    setError(null);
    try {
      const r = await api<AuditVerifyResult>('GET', '/api/audit/verify');
      const summary = verifySummary(r);
      setResult({ ...summary, chains: r.chains });
      onChecked(r.ok ? null : r.firstBadRecord ?? null);
      // A failure is an alert of its own (below); success is said through the page's status region.
      if (summary.ok) announce(`${summary.text}.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="audit-tools-h">
      <h2 id="audit-tools-h">Integrity and export</h2>
      <p>
        Each record is chained to the one before it by a hash, so a record changed, removed or reordered afterwards is found
        by the check.
      </p>
      <div class="row-btns">
        <button type="button" class="btn" aria-disabled={busy ? 'true' : undefined} onClick={() => void verify()}>
          {busy ? 'Verifying…' : 'Verify integrity'}
        </button>
        <a class="btn" href={auditExportUrl('csv')} download>Export CSV</a>
        <a class="btn" href={auditExportUrl('json')} download>Export JSON</a>
      </div>
      <p class="hint">Exports hold the whole trail, oldest first. Each export is itself recorded.</p>
      {result?.ok && (
        <p class="okbox">
          <svg class="ico" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
            <path d="M4 12l5 5L20 6" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round" />
          </svg>
          <strong>{result.text}</strong>
          {result.chains > 1 && <span class="muted"> in {result.chains} chains</span>}
        </p>
      )}
      {result && !result.ok && (
        <ErrorBox>
          <p><strong>{result.text}</strong></p>
          <p>Keep the exports you have, and tell whoever runs your Bedside server: records may have been altered outside the app.</p>
        </ErrorBox>
      )}
      {error && <ErrorBox>{error}</ErrorBox>}
    </section>
  );
}
