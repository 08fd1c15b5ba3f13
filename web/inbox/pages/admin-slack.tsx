import { useEffect, useState } from 'preact/hooks';
import type {
  ChannelContentMode, ChannelContentRequest, ChannelContentSettings, ContentChannel, SlackAttestation, SlackChannelOption, SlackContentMode, SlackContentModeRequest,
  SlackSettings,
} from '../api-types.ts';
import { errorMessage, isAbort } from '../lib/api.ts';
import { attestationKind } from '../lib/format.ts';
import { announce, ErrorBox, FieldError } from '../ui/bits.tsx';
import { api } from '../ui/client.ts';
import { fullDateTime } from '../lib/time.ts';
import type { HeadingRef } from './admin.tsx';

export const ATTESTATIONS: { value: SlackAttestation; label: string }[] = [
  { value: 'baa', label: 'Our Slack workspace is covered by a signed BAA (Enterprise Grid)' },
  { value: 'no_phi', label: 'This inbox carries no PHI' },
];

export function SlackAdmin({ heading, slack, onChange }: { heading: HeadingRef; slack: SlackSettings | null; onChange: (s: SlackSettings) => void }) {
  const [mode, setMode] = useState<SlackContentMode>('notice');
  const [attestation, setAttestation] = useState<SlackAttestation | null>(null);
  const [confirmed, setConfirmed] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!slack) return;
    setMode(slack.contentMode);
    setAttestation(attestationKind(slack.attestation));
    setConfirmed(false);
  }, [slack]);

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const bad: Record<string, string> = {};
    if (mode === 'full') {
      if (!attestation) bad.attestation = 'Choose which statement is true before turning on full content.';
      if (!confirmed) bad.confirm = 'Confirm that the statement is true and that you may decide this for the practice.';
    }
    setErrors(bad);
    setSaveError(null);
    if (bad.attestation) {
      document.getElementById('att-baa')?.focus();
      return;
    }
    if (bad.confirm) {
      document.getElementById('slack-confirm')?.focus();
      return;
    }
    const body: SlackContentModeRequest = mode === 'full' && attestation ? { mode: 'full', attestation } : { mode: 'notice' };
    setBusy(true);
    try {
      const r = await api<SlackSettings>('PUT', '/api/admin/slack/content-mode', { body });
      onChange(r);
      announce(r.contentMode === 'full' ? 'Full content mode is on.' : 'Notice mode is on: Slack gets no patient details.');
    } catch (err) {
      setSaveError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>Slack</h1>
      {!slack && <p role="status">Loading Slack settings…</p>}
      {slack && (
        <>
          <section class="panel" aria-labelledby="slack-conn-h">
            <h2 id="slack-conn-h">Connection</h2>
            {slack.mode === 'oauth' ? <WorkspaceConnection slack={slack} onChange={onChange} /> : slack.connected ? (
              <p>
                <span class="status open">Connected</span> Posting to channel <code>{slack.channelId ?? 'not set'}</code>.
              </p>
            ) : (
              <p>
                <span class="status resolved">Not connected</span> Set <code>SLACK_BOT_TOKEN</code>, <code>SLACK_SIGNING_SECRET</code> and{' '}
                <code>SLACK_CHANNEL_ID</code> on the server to connect Slack.
              </p>
            )}
          </section>
          <form class="settings" onSubmit={save} noValidate aria-labelledby="slack-mode-h">
            <h2 id="slack-mode-h">Content mode</h2>
            <p>Slack’s terms allow protected health information only on an Enterprise plan with a signed Business Associate Agreement.</p>
            <fieldset>
              <legend>What Slack receives</legend>
              <div class="radio">
                <input id="mode-notice" type="radio" name="slack-mode" value="notice" checked={mode === 'notice'} aria-describedby="mode-notice-d" onChange={() => setMode('notice')} />
                <label for="mode-notice">Notice (recommended)</label>
                <p class="hint" id="mode-notice-d">
                  An opaque notice such as “New web-chat message, conversation 7F3K, waiting 2 min” with a link to the web inbox. No names,
                  numbers or message text. Staff reply in the web inbox.
                </p>
              </div>
              <div class="radio">
                <input id="mode-full" type="radio" name="slack-mode" value="full" checked={mode === 'full'} aria-describedby="mode-full-d" onChange={() => setMode('full')} />
                <label for="mode-full">Full</label>
                <p class="hint" id="mode-full-d">
                  Patient messages are copied to Slack and staff can answer in the thread.
                  {slack.contentMode === 'full' && slack.attestation?.at && ` On since ${fullDateTime(slack.attestation.at)}.`}
                </p>
              </div>
            </fieldset>
            {mode === 'full' && (
              <>
                <fieldset aria-describedby={errors.attestation ? 'att-err' : undefined}>
                  <legend>Attestation (required for full content)</legend>
                  {ATTESTATIONS.map((a) => (
                    <div class="radio" key={a.value}>
                      <input
                        id={`att-${a.value}`}
                        type="radio"
                        name="slack-attestation"
                        value={a.value}
                        checked={attestation === a.value}
                        aria-invalid={errors.attestation ? 'true' : undefined}
                        onChange={() => setAttestation(a.value)}
                      />
                      <label for={`att-${a.value}`}>{a.label}</label>
                    </div>
                  ))}
                  {errors.attestation && <FieldError id="att-err">{errors.attestation}</FieldError>}
                </fieldset>
                <div class="check">
                  <input
                    id="slack-confirm"
                    type="checkbox"
                    checked={confirmed}
                    aria-invalid={errors.confirm ? 'true' : undefined}
                    aria-describedby={errors.confirm ? 'confirm-err' : undefined}
                    onChange={(e) => setConfirmed(e.currentTarget.checked)}
                  />
                  <label for="slack-confirm">
                    I confirm this statement is true and that I may make this decision for the practice.
                  </label>
                </div>
                {errors.confirm && <FieldError id="confirm-err">{errors.confirm}</FieldError>}
              </>
            )}
            {saveError && <ErrorBox>{saveError}</ErrorBox>}
            <div class="row-btns">
              <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>{busy ? 'Saving…' : 'Save content mode'}</button>
            </div>
          </form>
        </>
      )}
      <ChannelContentForm />
    </>
  );
}

/** "Add to Slack" mode: this practice's own workspace, its state, and the default channel. */
function WorkspaceConnection({ slack, onChange }: { slack: SlackSettings; onChange: (s: SlackSettings) => void }) {
  const ws = slack.workspace ?? null;
  if (!ws) {
    return (
      <>
        <p><span class="status resolved">Not connected</span> Connect the practice’s Slack workspace: you approve Bedside in Slack and come back here.</p>
        <p><a class="btn primary" href="/api/slack/install">Add to Slack</a></p>
      </>
    );
  }
  if (ws.status === 'disconnected') {
    return (
      <>
        <div class="banner warn" role="alert">
          <p>
            <strong>Slack disconnected.</strong> Bedside was removed from the workspace <strong>{ws.teamName}</strong>
            {ws.revokedAt && ` on ${fullDateTime(ws.revokedAt)}`}, or its access was revoked. Nothing is posted to Slack; conversations
            continue in the web inbox.
          </p>
        </div>
        <p><a class="btn primary" href="/api/slack/install">Add to Slack again</a></p>
      </>
    );
  }
  return (
    <>
      <p>
        <span class="status open">Connected</span> Workspace <strong>{ws.teamName}</strong> since {fullDateTime(ws.installedAt)}.
      </p>
      <DefaultChannelForm channelId={slack.channelId} onChange={onChange} />
      <DisconnectButton teamName={ws.teamName} onChange={onChange} />
    </>
  );
}

function DisconnectButton({ teamName, onChange }: { teamName: string; onChange: (s: SlackSettings) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const disconnect = async () => {
    if (busy || !window.confirm(`Remove Bedside from the Slack workspace ${teamName}? Nothing more will be posted there until it is added again.`)) return;
    setBusy(true);
    setError(null);
    try {
      await api('DELETE', '/api/admin/slack/installation');
      onChange(await api<SlackSettings>('GET', '/api/admin/slack'));
      announce('Slack disconnected.');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <p class="hint">To connect another workspace, disconnect this one first.</p>
      {error && <ErrorBox>{error}</ErrorBox>}
      <div class="row-btns">
        <button type="button" class="btn" aria-disabled={busy ? 'true' : undefined} onClick={disconnect}>{busy ? 'Disconnecting…' : 'Disconnect Slack'}</button>
      </div>
    </>
  );
}

function DefaultChannelForm({ channelId, onChange }: { channelId: string | null; onChange: (s: SlackSettings) => void }) {
  const [channels, setChannels] = useState<SlackChannelOption[] | null>(null);
  const [value, setValue] = useState(channelId ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const ac = new AbortController();
    api<{ items: SlackChannelOption[] }>('GET', '/api/admin/slack/channels', { signal: ac.signal }).then(
      (r) => setChannels(r.items),
      (err) => { if (!isAbort(err)) setChannels([]); },
    );
    return () => ac.abort();
  }, []);
  const save = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api<Partial<SlackSettings>>('PUT', '/api/admin/slack/default-channel', { body: { channelId: value.trim() || null } });
      onChange({ ...(await api<SlackSettings>('GET', '/api/admin/slack')), ...r } as SlackSettings);
      announce('Default Slack channel saved.');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="settings" onSubmit={save} noValidate aria-labelledby="slack-channel-h">
      <h3 id="slack-channel-h">Default channel</h3>
      <div class="fld">
        <label for="slack-channel">Channel where new conversations open a thread</label>
        <input
          id="slack-channel" type="text" list="slack-channel-list" autoComplete="off" spellcheck={false} maxLength={21}
          placeholder="C0123456789" value={value} aria-describedby="slack-channel-hint" onInput={(e) => setValue(e.currentTarget.value.toUpperCase())}
        />
        <datalist id="slack-channel-list">
          {(channels ?? []).map((c) => <option key={c.id} value={c.id}>{`#${c.name}${c.isMember ? '' : ' (invite @Bedside first)'}`}</option>)}
        </datalist>
        <p class="hint" id="slack-channel-hint">
          Choose from the list or type the channel id. Each inbox can use its own channel (Inboxes page); this one is used otherwise.
          Invite the app to the channel in Slack: <code>/invite @Bedside</code>.
        </p>
      </div>
      {error && <ErrorBox>{error}</ErrorBox>}
      <div class="row-btns">
        <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>{busy ? 'Saving…' : 'Save default channel'}</button>
      </div>
    </form>
  );
}

const CONTENT_CHANNELS: Array<{ channel: ContentChannel; label: string }> = [
  { channel: 'sms', label: 'Text messages (SMS)' },
  { channel: 'email', label: 'E-mail' },
  { channel: 'whatsapp', label: 'WhatsApp' },
  { channel: 'messenger', label: 'Facebook Messenger' },
  { channel: 'viber', label: 'Viber' },
];

/**
 * How replies go over channels Bedside cannot encrypt end to end: as the text itself, or as a
 * secure link the patient opens after a one-time code and their date of birth.
 */
function ChannelContentForm() {
  const [saved, setSaved] = useState<ChannelContentSettings | null>(null);
  const [modes, setModes] = useState<ChannelContentSettings | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = (signal?: AbortSignal) => {
    setLoadError(null);
    api<ChannelContentSettings>('GET', '/api/admin/channel-content', { signal }).then(
      (r) => {
        setSaved(r);
        setModes(r);
      },
      (err) => {
        if (!isAbort(err)) setLoadError(errorMessage(err));
      },
    );
  };
  useEffect(() => {
    const ac = new AbortController();
    load(ac.signal);
    return () => ac.abort();
  }, []);

  const save = async (e: Event) => {
    e.preventDefault();
    if (busy || !modes || !saved) return;
    setSaveError(null);
    setBusy(true);
    try {
      for (const { channel } of CONTENT_CHANNELS) {
        if (modes[channel] === saved[channel]) continue;
        const body: ChannelContentRequest = { channel, mode: modes[channel] };
        await api('PUT', '/api/admin/channel-content', { body });
        setSaved((s) => (s ? { ...s, [channel]: modes[channel] } : s));
      }
      announce('Saved: how replies reach patients on each channel.');
    } catch (err) {
      setSaveError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="settings" onSubmit={save} noValidate aria-labelledby="content-mode-h">
      <h2 id="content-mode-h">Replies on text, e-mail and messaging apps</h2>
      <p>
        These channels are not encrypted end to end by Bedside: anyone who sees the patient’s phone or mailbox, or handles the message on
        its way, can read it. A secure link says only that there is a new message; before reading, the patient confirms a code sent to
        them and their date of birth (when it is on file), and can reply on the same page.
      </p>
      {saved === null && !loadError && <p class="hint" role="status">Loading the channel settings…</p>}
      {loadError && (
        <div class="ferr" role="alert">
          <p>{loadError}</p>
          <button type="button" class="linkish" onClick={() => load()}>Try again<span class="sr"> to load the channel settings</span></button>
        </div>
      )}
      {modes && (
        <>
          {CONTENT_CHANNELS.map(({ channel, label }) => (
            <p key={channel} class="field">
              <label for={`content-${channel}`}>{label}</label>{' '}
              <select id={`content-${channel}`} value={modes[channel]} onChange={(e) => setModes({ ...modes, [channel]: e.currentTarget.value as ChannelContentMode })}>
                <option value="text">Send the reply as it is</option>
                <option value="notice">Send a secure link instead (recommended for health information)</option>
              </select>
            </p>
          ))}
          {saveError && <ErrorBox>{saveError}</ErrorBox>}
          <div class="row-btns">
            <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>{busy ? 'Saving…' : 'Save channel settings'}</button>
          </div>
        </>
      )}
    </form>
  );
}
