import { useEffect, useMemo, useState } from 'preact/hooks';
import type { AdminInbox, BusinessHours, InboxSettings, PreChatField, Weekday } from '../api-types.ts';
import { errorMessage } from '../lib/api.ts';
import { channelLabel } from '../lib/format.ts';
import type { SettingsErrors } from '../lib/hours.ts';
import { addPeriod, defaultHours, MAX_PERIODS, normaliseSettings, removePeriod, setPeriod, timeZones, validateInbox, WEEKDAYS } from '../lib/hours.ts';
import { announce, CopyButton, ErrorBox, FieldError } from '../ui/bits.tsx';
import { api } from '../ui/client.ts';
import { inboxList, useCached } from '../ui/directory.ts';
import { Link } from '../ui/router.tsx';
import type { HeadingRef } from './admin.tsx';

const PRECHAT_FIELDS: { field: PreChatField; label: string }[] = [
  { field: 'name', label: 'Name' },
  { field: 'email', label: 'Email' },
  { field: 'phone', label: 'Phone' },
];

export function InboxesAdmin({ inboxId, heading }: { inboxId: string | null; heading: HeadingRef }) {
  const inboxes = useCached(inboxList);
  const selected = inboxId ?? inboxes?.[0]?.id ?? null;
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>Inboxes</h1>
      {inboxes === null && <p role="status">Loading inboxes…</p>}
      {inboxes && inboxes.length === 0 && <p>There are no inboxes yet.</p>}
      {inboxes && inboxes.length > 1 && (
        <nav class="tabs" aria-label="Inboxes">
          <ul>
            {inboxes.map((i) => (
              <li key={i.id}>
                <Link href={`/admin/inboxes?inbox=${encodeURIComponent(i.id)}`} aria-current={i.id === selected ? 'page' : undefined}>
                  {i.name} <span class="muted">({channelLabel(i.channel)})</span>
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {selected && <InboxEditor key={selected} id={selected} />}
    </>
  );
}

function InboxEditor({ id }: { id: string }) {
  const [inbox, setInbox] = useState<AdminInbox | null>(null);
  const [name, setName] = useState('');
  const [settings, setSettings] = useState<InboxSettings | null>(null);
  const [errors, setErrors] = useState<SettingsErrors>({});
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/api/admin/inboxes/${encodeURIComponent(id)}`;

  const take = (r: AdminInbox) => {
    setInbox(r);
    setName(r.name);
    setSettings(normaliseSettings(r.settings));
  };
  useEffect(() => {
    api<AdminInbox>('GET', path).then(take).catch((err: unknown) => setLoadError(errorMessage(err)));
  }, [id]);

  const zones = useMemo(() => timeZones(settings?.businessHours?.timezone ?? ''), [settings?.businessHours?.timezone]);
  const [savedHours, setSavedHours] = useState<BusinessHours | null>(null);

  if (loadError) return <ErrorBox>{loadError}</ErrorBox>;
  if (!inbox || !settings) return <p role="status">Loading inbox…</p>;

  const set = (patch: Partial<InboxSettings>) => setSettings({ ...settings, ...patch });
  const hours = settings.businessHours;
  const err = (key: string) => (errors[key] ? `err-${key}` : undefined);

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const found = validateInbox(name, settings);
    setErrors(found);
    setSaveError(null);
    const first = Object.keys(found)[0];
    if (first) {
      document.getElementById(`in-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const r = await api<AdminInbox>('PATCH', path, { body: { name: name.trim(), settings } });
      take(r);
      announce('Inbox settings saved.');
      void inboxList.load(true).catch(() => {});
    } catch (err) {
      setSaveError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form class="settings" onSubmit={save} noValidate aria-labelledby="inbox-h">
        <h2 id="inbox-h">{inbox.name} <span class="muted">({channelLabel(inbox.channel)})</span></h2>
        {Object.keys(errors).length > 0 && (
          <ErrorBox>
            <p>Please correct these before saving:</p>
            <ul>
              {Object.entries(errors).map(([k, v]) => (
                <li key={k}>
                  <a
                    href={`#in-${k}`}
                    onClick={(e) => {
                      e.preventDefault();
                      document.getElementById(`in-${k}`)?.focus();
                    }}
                  >
                    {v}
                  </a>
                </li>
              ))}
            </ul>
          </ErrorBox>
        )}
        <fieldset>
          <legend>General</legend>
          <div class="fld">
            <label for="in-name">Name</label>
            <input id="in-name" type="text" required maxLength={80} value={name} aria-invalid={errors.name ? 'true' : undefined} aria-describedby={err('name')} onInput={(e) => setName(e.currentTarget.value)} />
            {errors.name && <FieldError id="err-name">{errors.name}</FieldError>}
          </div>
          <div class="fld">
            <label for="in-color">Colour</label>
            <input id="in-color" type="color" value={settings.color} aria-describedby={err('color') ?? 'in-color-hint'} onInput={(e) => set({ color: e.currentTarget.value })} />
            <p class="hint" id="in-color-hint">The chat button and header on your website. {settings.color}</p>
            {errors.color && <FieldError id="err-color">{errors.color}</FieldError>}
          </div>
          <div class="fld">
            <label for="in-greeting">Greeting</label>
            <textarea id="in-greeting" rows={2} maxLength={500} value={settings.greeting} aria-describedby="in-greeting-hint" onInput={(e) => set({ greeting: e.currentTarget.value })} />
            <p class="hint" id="in-greeting-hint">Shown at the top of the chat before the patient writes.</p>
          </div>
        </fieldset>

        <fieldset>
          <legend>Slack</legend>
          <div class="fld">
            <label for="in-slack-channel">Slack channel for this inbox</label>
            <input
              id="in-slack-channel"
              type="text"
              inputMode="latin"
              autoComplete="off"
              spellcheck={false}
              maxLength={21}
              placeholder="C0123456789"
              value={settings.slackChannelId ?? ''}
              aria-describedby="in-slack-channel-hint"
              onInput={(e) => set({ slackChannelId: e.currentTarget.value.trim().toUpperCase() || null })}
            />
            <p class="hint" id="in-slack-channel-hint">
              New conversations of this inbox open a thread in this channel (its id, from the channel’s details in Slack, or see the
              list on the <Link href="/admin/slack">Slack page</Link>). Leave empty for the practice’s default channel.
            </p>
          </div>
        </fieldset>

        <fieldset>
          <legend>Pre-chat form</legend>
          <div class="check">
            <input
              id="in-prechat"
              type="checkbox"
              checked={settings.preChat.enabled}
              aria-describedby={err('prechat')}
              onChange={(e) => set({ preChat: { ...settings.preChat, enabled: e.currentTarget.checked } })}
            />
            <label for="in-prechat">Ask for contact details before the chat starts</label>
          </div>
          {settings.preChat.enabled && (
            <fieldset class="sub">
              <legend>Details to ask for</legend>
              {PRECHAT_FIELDS.map(({ field, label }) => (
                <div class="check" key={field}>
                  <input
                    id={`in-prechat-${field}`}
                    type="checkbox"
                    checked={settings.preChat.fields.includes(field)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      const fields = PRECHAT_FIELDS.map((f) => f.field).filter((f) => (f === field ? on : settings.preChat.fields.includes(f)));
                      set({ preChat: { ...settings.preChat, fields } });
                    }}
                  />
                  <label for={`in-prechat-${field}`}>{label}</label>
                </div>
              ))}
            </fieldset>
          )}
          {errors.prechat && <FieldError id="err-prechat">{errors.prechat}</FieldError>}
        </fieldset>

        <fieldset>
          <legend>Business hours</legend>
          <div class="check">
            <input
              id="in-hours-on"
              type="checkbox"
              checked={!!hours}
              aria-describedby="in-hours-hint"
              onChange={(e) => {
                if (e.currentTarget.checked) {
                  set({ businessHours: savedHours ?? defaultHours(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC') });
                } else {
                  setSavedHours(hours ?? null);
                  set({ businessHours: undefined });
                }
              }}
            />
            <label for="in-hours-on">Use business hours</label>
          </div>
          <p class="hint" id="in-hours-hint">
            {hours ? 'Outside these hours patients get the after-hours message.' : 'Off: conversations are answered at any time, with no after-hours message.'}
          </p>
          {hours && (
            <>
              <div class="fld">
                <label for="in-timezone">Time zone</label>
                <select
                  id="in-timezone"
                  value={hours.timezone}
                  aria-describedby={err('timezone')}
                  onChange={(e) => set({ businessHours: { ...hours, timezone: e.currentTarget.value } })}
                >
                  {!hours.timezone && <option value="">Choose a time zone</option>}
                  {zones.map((z) => <option key={z} value={z}>{z.replace(/_/g, ' ')}</option>)}
                </select>
                {errors.timezone && <FieldError id="err-timezone">{errors.timezone}</FieldError>}
              </div>
              {WEEKDAYS.map(({ day, label }) => (
                <DayHours
                  key={day}
                  day={day}
                  label={label}
                  periods={hours.days[day] ?? []}
                  errors={errors}
                  onChange={(bh) => set({ businessHours: bh(hours) })}
                />
              ))}
              <div class="fld">
                <label for="in-afterhours">After-hours message</label>
                <textarea
                  id="in-afterhours"
                  rows={3}
                  maxLength={1000}
                  value={hours.afterHoursMessage}
                  aria-describedby="in-afterhours-hint"
                  onInput={(e) => set({ businessHours: { ...hours, afterHoursMessage: e.currentTarget.value } })}
                />
                <p class="hint" id="in-afterhours-hint">Sent automatically to a patient who writes outside these hours.</p>
              </div>
            </>
          )}
        </fieldset>
        {saveError && <ErrorBox>{saveError}</ErrorBox>}
        <div class="row-btns">
          <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>{busy ? 'Saving…' : 'Save inbox settings'}</button>
        </div>
      </form>

      {inbox.embedSnippet && (
        <section class="panel" aria-labelledby="embed-h">
          <h2 id="embed-h">Embed code</h2>
          <p id="embed-hint">Paste this into every page of your website, just before <code>&lt;/body&gt;</code>.</p>
          <pre class="code" tabIndex={0}><code>{inbox.embedSnippet}</code></pre>
          <CopyButton text={inbox.embedSnippet} label="Copy embed code" />
        </section>
      )}
    </>
  );
}

function DayHours({ day, label, periods, errors, onChange }: {
  day: Weekday;
  label: string;
  periods: { open: string; close: string }[];
  errors: SettingsErrors;
  onChange: (fn: (h: BusinessHours) => BusinessHours) => void;
}) {
  return (
    <fieldset class="day">
      <legend>{label}</legend>
      {periods.length === 0 && <p class="muted closed">Closed</p>}
      {periods.map((p, i) => {
        const key = `hours-${day}-${i}`;
        const eid = errors[key] ? `err-${key}` : undefined;
        const ctx = `${label}, period ${i + 1}`;
        return (
          <div class="period" key={i}>
            <div class="fld inline">
              <label for={`in-${key}`}>Opens<span class="sr"> ({ctx})</span></label>
              <input id={`in-${key}`} type="time" value={p.open} aria-invalid={eid ? 'true' : undefined} aria-describedby={eid} onInput={(e) => {
                const v = e.currentTarget.value;
                onChange((h) => setPeriod(h, day, i, 'open', v));
              }} />
            </div>
            <div class="fld inline">
              <label for={`in-${key}-close`}>Closes<span class="sr"> ({ctx})</span></label>
              <input id={`in-${key}-close`} type="time" value={p.close} aria-invalid={eid ? 'true' : undefined} aria-describedby={eid} onInput={(e) => {
                const v = e.currentTarget.value;
                onChange((h) => setPeriod(h, day, i, 'close', v));
              }} />
            </div>
            <button type="button" class="btn small" onClick={() => onChange((h) => removePeriod(h, day, i))}>
              Remove<span class="sr"> {ctx}</span>
            </button>
            {eid && <FieldError id={eid}>{errors[key]}</FieldError>}
          </div>
        );
      })}
      {periods.length < MAX_PERIODS && (
        <button type="button" class="btn small" onClick={() => onChange((h) => addPeriod(h, day))}>
          Add hours<span class="sr"> on {label}</span>
        </button>
      )}
    </fieldset>
  );
}
