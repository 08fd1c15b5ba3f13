/**
 * The record-keeping parts of the contact panel: date of birth, merging and consent records (every
 * role), and for admins and owners the record export, legal hold and erasure.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type {
  ConsentChannel, ConsentRecord, ConversationSummary, DateOfBirthRequest, EraseContactResponse, ItemList, LegalHoldRequest, MergeContactRequest,
  MergeContactResponse,
} from '../api-types.ts';
import { errorMessage, isAbort } from '../lib/api.ts';
import { channelLabel } from '../lib/format.ts';
import type { HoldState, MergeCandidate } from '../lib/records.ts';
import {
  CONSENT_CHANNELS, CONSENT_WORDING_MAX, consentsInForce, consentsNewestFirst, consentWordingProblem, contactExportUrl,
  dateOfBirthLabel, dateOfBirthProblem, DEFAULT_CONSENT_WORDING, eraseConfirmed, HOLD_REASON_MAX, holdReasonProblem, isLegalHoldError,
  isoDay, mergeCandidates,
} from '../lib/records.ts';
import { fullDateTime, shortDateTime } from '../lib/time.ts';
import { announce, ChannelTag, ErrorBox, FieldError } from '../ui/bits.tsx';
import { api } from '../ui/client.ts';
import { ConfirmDialog, Dialog } from '../ui/dialog.tsx';
import { staffList, useCached } from '../ui/directory.ts';

const contactPath = (id: string) => `/api/contacts/${encodeURIComponent(id)}`;

// ---------------------------------------------------------------------------------------------
// Date of birth

export function DateOfBirthSection({ contactId, value, onSaved }: { contactId: string; value: string | null; onSaved: (v: string | null) => void }) {
  const [draft, setDraft] = useState(value ?? '');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const today = isoDay(new Date());

  useEffect(() => setDraft(value ?? ''), [value]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const problem = dateOfBirthProblem(draft, today);
    setFieldError(problem);
    setSaveError(null);
    if (problem) {
      document.getElementById('dob-input')?.focus();
      return;
    }
    const body: DateOfBirthRequest = { dateOfBirth: draft || null };
    setBusy(true);
    try {
      await api('PUT', `${contactPath(contactId)}/date-of-birth`, { body });
      onSaved(body.dateOfBirth);
      announce(body.dateOfBirth ? 'Date of birth saved.' : 'Date of birth cleared.');
    } catch (err) {
      setSaveError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="recs" onSubmit={submit} noValidate aria-labelledby="dob-h">
      <h4 id="dob-h">Date of birth</h4>
      <p class="small">{value ? <>On file: <time dateTime={value}>{dateOfBirthLabel(value)}</time></> : <span class="muted">Not on file</span>}</p>
      <div class="fld">
        <label for="dob-input">Date of birth</label>
        <input
          id="dob-input"
          type="date"
          min="1900-01-01"
          max={today}
          value={draft}
          aria-invalid={fieldError ? 'true' : undefined}
          aria-describedby={`dob-hint${fieldError ? ' dob-err' : ''}`}
          onInput={(e) => setDraft(e.currentTarget.value)}
        />
        <p class="hint" id="dob-hint">A secure link asks the patient for it before showing a reply. Empty the field and save to clear it.</p>
        {fieldError && <FieldError id="dob-err">{fieldError}</FieldError>}
      </div>
      {saveError && <p class="ferr" role="alert">{saveError}</p>}
      <button type="submit" class="btn small" aria-disabled={busy ? 'true' : undefined}>
        {busy ? 'Saving…' : 'Save'}<span class="sr"> date of birth</span>
      </button>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// Merging (the same person known twice)

export function MergeSection({ contactId, name, conversations, onMerged }: {
  contactId: string;
  name: string;
  /** The loaded conversation list, where the other contacts come from. */
  conversations: readonly ConversationSummary[];
  onMerged: (into: MergeCandidate) => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <section class="recs" aria-labelledby="merge-h">
      <h4 id="merge-h">Duplicates</h4>
      <button type="button" class="btn small" onClick={() => setOpen(true)}>Merge with another contact…</button>
      {open && (
        <MergeDialog
          contactId={contactId}
          name={name}
          conversations={conversations}
          onCancel={() => setOpen(false)}
          onMerged={onMerged}
        />
      )}
    </section>
  );
}

function MergeDialog({ contactId, name, conversations, onCancel, onMerged }: {
  contactId: string;
  name: string;
  conversations: readonly ConversationSummary[];
  onCancel: () => void;
  onMerged: (into: MergeCandidate) => void;
}) {
  // Taken once when the dialog opens, so the choices do not move under the pointer.
  const candidates = useMemo(() => mergeCandidates(conversations, contactId), []);
  const [into, setInto] = useState(candidates[0]?.contactId ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const target = candidates.find((c) => c.contactId === into);
    if (busy || !target) return;
    setError(null);
    setBusy(true);
    try {
      const body: MergeContactRequest = { intoContactId: target.contactId };
      await api<MergeContactResponse>('POST', `${contactPath(contactId)}/merge`, { body });
      onMerged(target);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Dialog labelledBy="merge-dlg-h" describedBy="merge-dlg-d" onClose={onCancel} initialFocus={candidates.length ? '#merge-into' : '.cancel'}>
      <form onSubmit={submit} noValidate>
        <h2 id="merge-dlg-h">Merge {name} with another contact</h2>
        <p id="merge-dlg-d">
          For one person known twice. {name}’s conversations, channels and consent records move to the contact you choose, which
          also keeps any name, email or phone it lacks; then {name} is removed. This is recorded in the audit trail and cannot be
          undone.
        </p>
        {candidates.length > 0 ? (
          <div class="fld">
            <label for="merge-into">Merge into</label>
            <select id="merge-into" value={into} aria-describedby="merge-into-hint" onChange={(e) => setInto(e.currentTarget.value)}>
              {candidates.map((c) => <option key={c.contactId} value={c.contactId}>{c.label}</option>)}
            </select>
            <p class="hint" id="merge-into-hint">Contacts of the conversations listed in the inbox. Change the list’s filters to find others.</p>
          </div>
        ) : (
          <p class="muted">No other contacts are in the conversation list. Change the list’s filters to find the other one.</p>
        )}
        {error && <ErrorBox>{error}</ErrorBox>}
        <div class="row-btns end">
          <button type="button" class="btn cancel" onClick={onCancel}>Cancel</button>
          {candidates.length > 0 && (
            <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>{busy ? 'Merging…' : 'Merge contacts'}</button>
          )}
        </div>
      </form>
    </Dialog>
  );
}

// ---------------------------------------------------------------------------------------------
// Consent

export function ConsentSection({ contactId, channel }: { contactId: string; channel: string }) {
  const [items, setItems] = useState<ConsentRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [recording, setRecording] = useState(false);
  const staff = useCached(staffList);

  const load = (signal?: AbortSignal) => {
    setError(null);
    api<ItemList<ConsentRecord>>('GET', `${contactPath(contactId)}/consents`, { signal }).then(
      (r) => setItems(r.items),
      (err) => {
        if (!isAbort(err)) setError(errorMessage(err));
      },
    );
  };
  useEffect(() => {
    const ac = new AbortController();
    setItems(null);
    load(ac.signal);
    return () => ac.abort();
  }, [contactId]);

  const inForce = consentsInForce(items ?? []);
  const staffName = (id: string | null) => (id ? staff?.find((s) => s.id === id)?.displayName ?? null : null);

  return (
    <section class="recs" aria-labelledby="consent-h">
      <h4 id="consent-h">Consent</h4>
      {!items && !error && <p class="hint" role="status">Loading consent records…</p>}
      {error && (
        <div class="ferr" role="alert">
          <p>{error}</p>
          <button type="button" class="linkish" onClick={() => load()}>Try again<span class="sr"> to load consent records</span></button>
        </div>
      )}
      {items && items.length === 0 && <p class="muted">No consent recorded.</p>}
      {items && items.length > 0 && (
        <ul class="consents">
          {consentsNewestFirst(items).map((c) => {
            const by = staffName(c.recordedBy);
            const when = shortDateTime(c.recordedAt);
            const current = inForce.has(c.id);
            return (
              <li key={c.id} class={current ? undefined : 'old'}>
                <p class="cl1">
                  <ChannelTag channel={c.channel} />
                  <span class={c.granted ? 'cst yes' : 'cst no'}>
                    <span aria-hidden="true">{c.granted ? '✓ ' : '✕ '}</span>
                    {c.granted ? 'Granted' : 'Withdrawn'}
                  </span>
                  {!current && <span class="muted small">(superseded)</span>}
                </p>
                <p class="cl2 muted small">
                  <time dateTime={c.recordedAt} title={fullDateTime(c.recordedAt)}>{when}</time>
                  {by ? `, recorded by ${by}` : c.source === 'staff' ? ', recorded by staff' : `, ${c.source}`}
                </p>
                <details>
                  <summary>
                    Wording shown<span class="sr">: {channelLabel(c.channel)}, {when}</span>
                  </summary>
                  <p class="wording">{c.wording}</p>
                </details>
              </li>
            );
          })}
        </ul>
      )}
      <button type="button" class="btn small" onClick={() => setRecording(true)}>Record consent</button>
      {recording && (
        <ConsentDialog
          contactId={contactId}
          channel={channel}
          onClose={() => setRecording(false)}
          onSaved={(c) => {
            setItems((list) => [...(list ?? []).filter((x) => x.id !== c.id), c]);
            setRecording(false);
            announce(`Consent recorded: ${channelLabel(c.channel)} ${c.granted ? 'granted' : 'withdrawn'}.`);
          }}
        />
      )}
    </section>
  );
}

function ConsentDialog({ contactId, channel, onClose, onSaved }: {
  contactId: string;
  channel: string;
  onClose: () => void;
  onSaved: (c: ConsentRecord) => void;
}) {
  const [ch, setCh] = useState<ConsentChannel>((CONSENT_CHANNELS as readonly string[]).includes(channel) ? (channel as ConsentChannel) : 'sms');
  const [granted, setGranted] = useState(true);
  const [wording, setWording] = useState(DEFAULT_CONSENT_WORDING);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const problem = consentWordingProblem(wording);
    setFieldError(problem);
    setSaveError(null);
    if (problem) {
      document.getElementById('consent-wording')?.focus();
      return;
    }
    setBusy(true);
    try {
      const c = await api<ConsentRecord>('POST', `${contactPath(contactId)}/consents`, { body: { channel: ch, granted, wording: wording.trim() } });
      onSaved(c);
    } catch (err) {
      setSaveError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Dialog labelledBy="consent-dlg-h" describedBy="consent-dlg-d" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id="consent-dlg-h">Record consent</h2>
        <p id="consent-dlg-d" class="hint">
          Record what the patient agreed to or withdrew, with the exact words they were shown. Records are never changed: a
          new record for the same channel replaces the earlier one.
        </p>
        <div class="fld">
          <label for="consent-channel">Channel</label>
          <select id="consent-channel" value={ch} onChange={(e) => setCh(e.currentTarget.value as ConsentChannel)}>
            {CONSENT_CHANNELS.map((c) => <option key={c} value={c}>{channelLabel(c)}</option>)}
          </select>
        </div>
        <fieldset>
          <legend>Consent</legend>
          <div class="radio">
            <input id="consent-granted" type="radio" name="consent-granted" checked={granted} onChange={() => setGranted(true)} />
            <label for="consent-granted">Granted</label>
          </div>
          <div class="radio">
            <input id="consent-withdrawn" type="radio" name="consent-granted" checked={!granted} onChange={() => setGranted(false)} />
            <label for="consent-withdrawn">Withdrawn</label>
          </div>
        </fieldset>
        <div class="fld">
          <label for="consent-wording">Wording shown to the patient</label>
          <textarea
            id="consent-wording"
            rows={4}
            maxLength={CONSENT_WORDING_MAX}
            value={wording}
            aria-invalid={fieldError ? 'true' : undefined}
            aria-describedby={fieldError ? 'consent-wording-err' : undefined}
            onInput={(e) => setWording(e.currentTarget.value)}
          />
          {fieldError && <FieldError id="consent-wording-err">{fieldError}</FieldError>}
        </div>
        {saveError && <ErrorBox>{saveError}</ErrorBox>}
        <div class="row-btns end">
          <button type="button" class="btn" onClick={onClose}>Cancel</button>
          <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>{busy ? 'Saving…' : 'Save consent record'}</button>
        </div>
      </form>
    </Dialog>
  );
}

// ---------------------------------------------------------------------------------------------
// Export, legal hold, erasure (admins and owners)

/**
 * What this page has learnt about holds: there is no way to read one, so the state is known only
 * after it was set here or an erase was refused for it. Kept in memory for the page's life (a
 * sign-out reloads the page).
 */
const holds = new Map<string, { state: Exclude<HoldState, 'unknown'>; reason: string | null }>();

export function RecordTools({ contactId, name, onErased }: { contactId: string; name: string; onErased: () => void }) {
  const [hold, setHoldState] = useState(holds.get(contactId) ?? { state: 'unknown' as HoldState, reason: null });
  const [dialog, setDialog] = useState<null | 'place' | 'lift' | 'erase'>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const holdButton = useRef<HTMLButtonElement>(null);

  const remember = (state: Exclude<HoldState, 'unknown'>, reason: string | null) => {
    holds.set(contactId, { state, reason });
    setHoldState({ state, reason });
  };

  /** After a change the button under the dialog may be another one: put focus on the one there is. */
  const focusHold = () => requestAnimationFrame(() => holdButton.current?.focus());

  const putHold = async (body: LegalHoldRequest): Promise<string | null> => {
    try {
      await api('PUT', `${contactPath(contactId)}/legal-hold`, { body });
      remember(body.hold ? 'on' : 'off', body.hold ? body.reason : null);
      announce(body.hold ? 'Legal hold placed.' : 'Legal hold lifted.');
      return null;
    } catch (err) {
      return errorMessage(err);
    }
  };

  const lift = async () => {
    setBusy(true);
    setError(null);
    const problem = await putHold({ hold: false });
    setBusy(false);
    setDialog(null);
    if (problem) setError(problem);
    focusHold();
  };

  return (
    <section class="recs" aria-labelledby="records-h">
      <h4 id="records-h">Patient record</h4>

      <p class="lbl" id="export-l">Export record</p>
      <ul class="linkrow" aria-labelledby="export-l">
        <li>
          <a href={contactExportUrl(contactId, 'json')} download>
            <span class="sr">Export record as </span>JSON
          </a>
        </li>
        <li>
          <a href={contactExportUrl(contactId, 'html')} target="_blank" rel="noopener noreferrer">
            <span class="sr">Export record as a </span>Printable page<span class="sr"> (opens in a new tab)</span>
          </a>
        </li>
      </ul>
      <p class="hint">Exports contain patient information and are recorded in the audit trail.</p>

      <p class="holdstate">
        <span class="lbl">Legal hold: </span>
        {hold.state === 'on' ? <span class="tag hold">On</span> : hold.state === 'off' ? 'Off' : 'Unknown'}
      </p>
      {hold.state === 'unknown' && <p class="hint">Bedside shows whether a hold is on once it has been placed or lifted here.</p>}
      {hold.state === 'on' && hold.reason && <p class="small">Reason: {hold.reason}</p>}
      {hold.state === 'on' && <p class="hint">Kept past the retention period and cannot be erased.</p>}
      <div class="row-btns tight">
        {hold.state !== 'on' && (
          <button type="button" class="btn small" ref={holdButton} onClick={() => setDialog('place')}>Place legal hold…</button>
        )}
        {hold.state !== 'off' && (
          <button type="button" class="btn small" ref={hold.state === 'on' ? holdButton : undefined} onClick={() => setDialog('lift')}>
            Lift legal hold…
          </button>
        )}
      </div>
      {error && <p class="ferr" role="alert">{error}</p>}

      <div class="row-btns">
        <button type="button" class="btn small danger-outline" onClick={() => setDialog('erase')}>Erase contact…</button>
      </div>

      {dialog === 'place' && (
        <HoldDialog
          onCancel={() => setDialog(null)}
          onPlace={async (reason) => {
            const problem = await putHold({ hold: true, reason });
            if (problem) return problem;
            setError(null);
            setDialog(null);
            focusHold();
            return null;
          }}
        />
      )}
      {dialog === 'lift' && (
        <ConfirmDialog
          title={`Lift the legal hold on ${name}?`}
          confirmLabel="Lift hold"
          danger
          busy={busy}
          onConfirm={() => void lift()}
          onCancel={() => setDialog(null)}
        >
          <p>
            Their messages will again be deleted when they pass the retention period, and the contact can be erased. The change
            is recorded in the audit trail.
          </p>
        </ConfirmDialog>
      )}
      {dialog === 'erase' && (
        <EraseDialog
          contactId={contactId}
          name={name}
          onCancel={() => setDialog(null)}
          onHeld={() => remember('on', holds.get(contactId)?.reason ?? null)}
          onErased={() => {
            holds.delete(contactId);
            onErased();
          }}
        />
      )}
    </section>
  );
}

function HoldDialog({ onCancel, onPlace }: { onCancel: () => void; onPlace: (reason: string) => Promise<string | null> }) {
  const [reason, setReason] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const problem = holdReasonProblem(reason);
    setFieldError(problem);
    setSaveError(null);
    if (problem) {
      document.getElementById('hold-reason')?.focus();
      return;
    }
    setBusy(true);
    const failed = await onPlace(reason.trim());
    if (failed) {
      setSaveError(failed);
      setBusy(false);
    }
  };

  return (
    <Dialog labelledBy="hold-dlg-h" describedBy="hold-dlg-d" onClose={onCancel} initialFocus="#hold-reason">
      <form onSubmit={submit} noValidate>
        <h2 id="hold-dlg-h">Place a legal hold</h2>
        <p id="hold-dlg-d">
          While the hold is on, this contact’s messages are kept past the retention period and the contact cannot be erased.
        </p>
        <div class="fld">
          <label for="hold-reason">Reason for the hold</label>
          <input
            id="hold-reason"
            type="text"
            autoComplete="off"
            maxLength={HOLD_REASON_MAX}
            value={reason}
            aria-invalid={fieldError ? 'true' : undefined}
            aria-describedby={`hold-reason-hint${fieldError ? ' hold-reason-err' : ''}`}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
          <p class="hint" id="hold-reason-hint">For example the case, request or letter it is for. Kept with the record.</p>
          {fieldError && <FieldError id="hold-reason-err">{fieldError}</FieldError>}
        </div>
        {saveError && <ErrorBox>{saveError}</ErrorBox>}
        <div class="row-btns end">
          <button type="button" class="btn" onClick={onCancel}>Cancel</button>
          <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>{busy ? 'Placing…' : 'Place hold'}</button>
        </div>
      </form>
    </Dialog>
  );
}

function EraseDialog({ contactId, name, onCancel, onHeld, onErased }: {
  contactId: string;
  name: string;
  onCancel: () => void;
  onHeld: () => void;
  onErased: () => void;
}) {
  const [typed, setTyped] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    if (!eraseConfirmed(typed, name)) {
      setFieldError(`Type ${name} or ERASE to confirm.`);
      document.getElementById('erase-confirm')?.focus();
      return;
    }
    setFieldError(null);
    setBusy(true);
    try {
      await api<EraseContactResponse>('DELETE', contactPath(contactId));
      onErased();
    } catch (err) {
      if (isLegalHoldError(err)) {
        onHeld();
        setError('This contact is under legal hold, so they cannot be erased. The hold must be lifted first.');
      } else {
        setError(errorMessage(err));
      }
      setBusy(false);
    }
  };

  return (
    <Dialog labelledBy="erase-h" describedBy="erase-d" role="alertdialog" onClose={onCancel} initialFocus="#erase-confirm">
      <form onSubmit={submit} noValidate>
        <h2 id="erase-h">Erase {name}?</h2>
        <div id="erase-d">
          <p>
            This permanently deletes the contact with all their conversations, messages, consent records and queued messages.
            It cannot be undone. Only the audit record that the erasure happened is kept.
          </p>
          <p>Export the record first if the patient asked for a copy.</p>
        </div>
        <div class="fld">
          <label for="erase-confirm">Type the contact’s name ({name}) or ERASE to confirm</label>
          <input
            id="erase-confirm"
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={typed}
            aria-invalid={fieldError ? 'true' : undefined}
            aria-describedby={fieldError ? 'erase-confirm-err' : undefined}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
          {fieldError && <FieldError id="erase-confirm-err">{fieldError}</FieldError>}
        </div>
        {error && <ErrorBox>{error}</ErrorBox>}
        <div class="row-btns end">
          <button type="button" class="btn" onClick={onCancel}>Cancel</button>
          <button type="submit" class="btn danger" aria-disabled={busy ? 'true' : undefined}>{busy ? 'Erasing…' : 'Erase contact'}</button>
        </div>
      </form>
    </Dialog>
  );
}
