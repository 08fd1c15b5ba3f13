import { useEffect, useState } from 'preact/hooks';
import type { CannedResponse, CannedResponseInput } from '../api-types.ts';
import { errorMessage } from '../lib/api.ts';
import { cleanShortcut, shortcutProblem } from '../lib/canned.ts';
import { oneLine } from '../lib/format.ts';
import { announce, ErrorBox, FieldError } from '../ui/bits.tsx';
import { api } from '../ui/client.ts';
import { ConfirmDialog } from '../ui/dialog.tsx';
import { cannedList } from '../ui/directory.ts';
import type { HeadingRef } from './admin.tsx';

const EMPTY: CannedResponseInput = { shortcut: '', title: '', body: '' };

export function CannedAdmin({ heading }: { heading: HeadingRef }) {
  const [items, setItems] = useState<CannedResponse[] | null>(cannedList.get());
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<CannedResponse | null>(null);
  const [deleting, setDeleting] = useState<CannedResponse | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = () => cannedList.load(true).then(setItems, (err) => setError(errorMessage(err)));
  useEffect(() => {
    void reload();
  }, []);

  const remove = async () => {
    if (!deleting) return;
    setBusy(true);
    setError(null);
    try {
      await api('DELETE', `/api/canned-responses/${encodeURIComponent(deleting.id)}`);
      announce(`Deleted /${deleting.shortcut}.`);
      if (editing?.id === deleting.id) setEditing(null);
      await reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
      setDeleting(null);
    }
  };

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>Canned responses</h1>
      <p>Type <kbd>/</kbd> and the shortcut at the start of a reply to insert one.</p>
      {error && <ErrorBox>{error}</ErrorBox>}
      <CannedForm
        key={editing?.id ?? 'new'}
        editing={editing}
        taken={(items ?? []).filter((c) => c.id !== editing?.id).map((c) => cleanShortcut(c.shortcut))}
        onSaved={async (text) => {
          setEditing(null);
          announce(text);
          await reload();
        }}
        onCancel={() => setEditing(null)}
      />
      <h2>Saved responses</h2>
      {!items && !error && <p role="status">Loading…</p>}
      {items && items.length === 0 && <p>No canned responses yet.</p>}
      {items && items.length > 0 && (
        <div class="tablewrap">
          <table class="grid">
            <caption class="sr">Canned responses</caption>
            <thead>
              <tr>
                <th scope="col">Shortcut</th>
                <th scope="col">Title</th>
                <th scope="col">Text</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id}>
                  <th scope="row"><code>/{cleanShortcut(c.shortcut)}</code></th>
                  <td>{c.title}</td>
                  <td class="clip">{oneLine(c.body, 120)}</td>
                  <td class="acts">
                    <button type="button" class="btn small" onClick={() => {
                      setEditing(c);
                      requestAnimationFrame(() => document.getElementById('canned-shortcut')?.focus());
                    }}>
                      Edit<span class="sr"> /{cleanShortcut(c.shortcut)}</span>
                    </button>
                    <button type="button" class="btn small" onClick={() => setDeleting(c)}>
                      Delete<span class="sr"> /{cleanShortcut(c.shortcut)}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete /${cleanShortcut(deleting.shortcut)}?`}
          confirmLabel="Delete"
          danger
          busy={busy}
          onConfirm={() => void remove()}
          onCancel={() => setDeleting(null)}
        >
          <p>“{deleting.title}” will no longer be offered to anyone in the practice.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function CannedForm({ editing, taken, onSaved, onCancel }: {
  editing: CannedResponse | null;
  taken: string[];
  onSaved: (announcement: string) => void;
  onCancel: () => void;
}) {
  const [v, setV] = useState<CannedResponseInput>(editing ? { shortcut: cleanShortcut(editing.shortcut), title: editing.title, body: editing.body } : EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof CannedResponseInput, string>>>({});
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const input = { shortcut: cleanShortcut(v.shortcut), title: v.title.trim(), body: v.body.trim() };
    const bad: typeof errors = {};
    const problem = shortcutProblem(input.shortcut, taken);
    if (problem) bad.shortcut = problem;
    if (!input.title) bad.title = 'Enter a title.';
    if (!input.body) bad.body = 'Enter the text to insert.';
    setErrors(bad);
    setSaveError(null);
    const first = (['shortcut', 'title', 'body'] as const).find((k) => bad[k]);
    if (first) {
      document.getElementById(`canned-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      if (editing) await api('PATCH', `/api/canned-responses/${encodeURIComponent(editing.id)}`, { body: input });
      else await api('POST', '/api/canned-responses', { body: input });
      setV(EMPTY);
      onSaved(editing ? `Saved /${input.shortcut}.` : `Added /${input.shortcut}.`);
    } catch (err) {
      setSaveError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const field = (k: keyof CannedResponseInput) => ({
    id: `canned-${k}`,
    value: v[k],
    'aria-invalid': errors[k] ? ('true' as const) : undefined,
    'aria-describedby': errors[k] ? `canned-${k}-err` : undefined,
  });

  return (
    <form class="panel" onSubmit={submit} noValidate aria-labelledby="canned-form-h">
      <h2 id="canned-form-h">{editing ? `Edit /${cleanShortcut(editing.shortcut)}` : 'Add a canned response'}</h2>
      <div class="fields">
        <div class="fld">
          <label for="canned-shortcut">Shortcut</label>
          <div class="prefixed">
            <span aria-hidden="true">/</span>
            <input {...field('shortcut')} type="text" autoComplete="off" maxLength={40} onInput={(e) => setV({ ...v, shortcut: e.currentTarget.value })} />
          </div>
          {errors.shortcut && <FieldError id="canned-shortcut-err">{errors.shortcut}</FieldError>}
        </div>
        <div class="fld">
          <label for="canned-title">Title</label>
          <input {...field('title')} type="text" maxLength={80} onInput={(e) => setV({ ...v, title: e.currentTarget.value })} />
          {errors.title && <FieldError id="canned-title-err">{errors.title}</FieldError>}
        </div>
      </div>
      <div class="fld">
        <label for="canned-body">Text</label>
        <textarea {...field('body')} rows={4} maxLength={4000} onInput={(e) => setV({ ...v, body: e.currentTarget.value })} />
        {errors.body && <FieldError id="canned-body-err">{errors.body}</FieldError>}
      </div>
      {saveError && <ErrorBox>{saveError}</ErrorBox>}
      <div class="row-btns">
        <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>{editing ? 'Save changes' : 'Add response'}</button>
        {editing && <button type="button" class="btn" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
