import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { VisitorProfile, WidgetInboxInfo, WidgetMessage } from '../../../src/channels/widget/protocol.ts';
import type { ChatSession, PendingMessage, SessionState } from './session.ts';
import { MAX_MESSAGE_CHARS } from './session.ts';
import { brandColors } from './color.ts';

/** Show the character counter from this many characters on. */
const COUNTER_FROM = MAX_MESSAGE_CHARS - 500;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const time = timeFormat.format(d);
  return d.toDateString() === new Date().toDateString() ? time : `${dayFormat.format(d)}, ${time}`;
}

/** Asks the page that embeds the chat to close it. */
export function requestClose(): void {
  if (window.parent !== window) window.parent.postMessage({ bedside: 'close' }, '*');
}

export interface AppProps {
  session: ChatSession | null;
  embedded: boolean;
}

export function App({ session, embedded }: AppProps) {
  const [state, setState] = useState<SessionState | null>(session?.getState() ?? null);
  const inputRef = useRef<HTMLTextAreaElement | HTMLInputElement | null>(null);

  useEffect(() => {
    if (!session) return;
    const off = session.subscribe(setState);
    session.start();
    const wake = () => {
      if (document.visibilityState === 'visible') session.wake();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) requestClose();
    };
    // The embedding page focuses the frame on open: put the caret where the patient types.
    const onFocus = () => {
      const active = document.activeElement;
      if (!active || active === document.body) inputRef.current?.focus();
    };
    addEventListener('online', wake);
    document.addEventListener('visibilitychange', wake);
    document.addEventListener('keydown', onKey);
    addEventListener('focus', onFocus);
    return () => {
      off();
      session.stop();
      removeEventListener('online', wake);
      document.removeEventListener('visibilitychange', wake);
      document.removeEventListener('keydown', onKey);
      removeEventListener('focus', onFocus);
    };
  }, [session]);

  const inbox = state?.inbox ?? null;
  const showPreChat = !!inbox && inbox.preChat.enabled && inbox.preChat.fields.length > 0 && !state?.profileComplete;

  // Focus the first field when the frame already has focus, and again when the form gives way to
  // the composer (its focused button disappears with it).
  useEffect(() => {
    if (document.hasFocus()) {
      const active = document.activeElement;
      if (!active || active === document.body) inputRef.current?.focus();
    }
  }, [!!inbox, showPreChat]);

  const { bg, fg } = brandColors(inbox?.color);
  const title = inbox?.name || 'Chat';

  let status = '';
  if (!session) status = 'This chat is not set up correctly.';
  else if (state?.status === 'connecting') status = 'Connecting…';
  else if (state?.status === 'reconnecting') status = 'Reconnecting…';
  else if (state?.notice) status = state.notice;

  return (
    <div class="app" style={{ '--c': bg, '--fg': fg }}>
      <header class="hd">
        <h1>{title}</h1>
        {embedded && (
          <button type="button" class="x" aria-label="Close chat" onClick={requestClose}>
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
              <path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" />
            </svg>
          </button>
        )}
      </header>
      <main class="main">
        <p class={status ? 'st' : 'st sr'} role="status">{status}</p>
        {inbox && state && session && (
          <>
            <Log state={state} inbox={inbox} session={session} />
            {showPreChat ? (
              <PreChat inbox={inbox} saving={state.profileSaving} session={session} inputRef={inputRef} />
            ) : (
              <Composer session={session} inputRef={inputRef} />
            )}
          </>
        )}
      </main>
    </div>
  );
}

function Log({ state, inbox, session }: { state: SessionState; inbox: WidgetInboxInfo; session: ChatSession }) {
  const ref = useRef<HTMLDivElement>(null);
  const stuck = useRef(true);
  const count = state.messages.length + state.pending.length;

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stuck.current) el.scrollTop = el.scrollHeight;
  }, [count]);

  const onScroll = () => {
    const el = ref.current;
    if (el) stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  };

  const typingName = state.typing ? state.typing.name || inbox.name : '';

  return (
    <>
      <h2 class="sr">Conversation</h2>
      {/* Focusable so keyboard users can scroll it. */}
      <div class="log" ref={ref} onScroll={onScroll} tabIndex={0} role="log" aria-live="polite" aria-label="Messages">
        {inbox.greeting && <p class="greet">{inbox.greeting}</p>}
        {state.messages.map((m) => <Item key={m.id} m={m} inbox={inbox} />)}
        {state.pending.map((p) => (
          <PendingItem key={p.clientId} p={p} session={session} onSend={() => (stuck.current = true)} />
        ))}
      </div>
      <p class="typing" aria-live="polite">{typingName && `${typingName} is typing…`}</p>
    </>
  );
}

function Item({ m, inbox }: { m: WidgetMessage; inbox: WidgetInboxInfo }) {
  const mine = m.from === 'patient';
  return (
    <div class={mine ? 'm me' : 'm'}>
      <span class="who">{mine ? 'You' : m.authorName || inbox.name || 'Practice'}</span>
      <p class="b">{m.body}</p>
      <time class="t" dateTime={m.at}>{when(m.at)}</time>
    </div>
  );
}

function PendingItem({ p, session, onSend }: { p: PendingMessage; session: ChatSession; onSend: () => void }) {
  return (
    <div class={p.error ? 'm me fail' : 'm me wait'}>
      <span class="who">You</span>
      <p class="b">{p.body}</p>
      {p.error ? (
        <div class="t">
          <span class="err">Not sent: {p.error}</span>
          <button type="button" class="lnk" onClick={() => { onSend(); session.retry(p.clientId); }}>Retry</button>
          <button type="button" class="lnk" onClick={() => session.discard(p.clientId)}>Discard</button>
        </div>
      ) : (
        <span class="t">
          <time dateTime={p.at}>{when(p.at)}</time> · Sending…
        </span>
      )}
    </div>
  );
}

interface InputRefProps {
  session: ChatSession;
  inputRef: { current: HTMLTextAreaElement | HTMLInputElement | null };
}

function Composer({ session, inputRef }: InputRefProps) {
  const [text, setText] = useState('');
  const near = text.length >= COUNTER_FROM;

  const submit = () => {
    if (session.send(text)) setText('');
    inputRef.current?.focus();
  };

  return (
    <form class="cmp" onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <textarea
        ref={(el) => { inputRef.current = el; }}
        aria-label="Message"
        placeholder="Type your message…"
        rows={2}
        maxLength={MAX_MESSAGE_CHARS}
        value={text}
        aria-describedby={near ? 'cnt' : undefined}
        onInput={(e) => {
          const v = e.currentTarget.value;
          setText(v);
          if (v.trim()) session.typingInput();
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
            e.preventDefault();
            submit();
          }
        }}
      />
      <button type="submit" class="send">Send</button>
      {near && (
        <p id="cnt" class={text.length >= MAX_MESSAGE_CHARS ? 'cnt max' : 'cnt'}>
          {text.length} / {MAX_MESSAGE_CHARS} characters
        </p>
      )}
    </form>
  );
}

type Field = 'name' | 'email' | 'phone';

const FIELDS: Record<Field, { label: string; type: string; auto: string; check: RegExp; max: number; hint: string }> = {
  name: { label: 'Your name', type: 'text', auto: 'name', check: /\S/, max: 120, hint: 'Please enter your name.' },
  email: {
    label: 'Email',
    type: 'email',
    auto: 'email',
    check: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
    max: 254,
    hint: 'Please enter an email address like name@example.com.',
  },
  phone: {
    label: 'Phone',
    type: 'tel',
    auto: 'tel',
    check: /^\+?[0-9 ().-]{6,24}$/,
    max: 24,
    hint: 'Please enter a phone number (digits, spaces, + ( ) - only).',
  },
};

function PreChat({ inbox, saving, session, inputRef }: InputRefProps & { inbox: WidgetInboxInfo; saving: boolean }) {
  const fields = inbox.preChat.fields.filter((f) => f in FIELDS);
  const [values, setValues] = useState<Partial<Record<Field, string>>>({});
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const form = useRef<HTMLFormElement>(null);

  const submit = (e: Event) => {
    e.preventDefault();
    if (saving) return;
    const bad: Partial<Record<Field, string>> = {};
    const profile: VisitorProfile = {};
    for (const f of fields) {
      const v = (values[f] ?? '').trim();
      if (!FIELDS[f].check.test(v) || v.length > FIELDS[f].max) bad[f] = FIELDS[f].hint;
      else profile[f] = v;
    }
    setErrors(bad);
    const first = fields.find((f) => bad[f]);
    if (first) form.current?.querySelector<HTMLInputElement>(`#f-${first}`)?.focus();
    else session.saveProfile(profile);
  };

  return (
    <form class="pre" ref={form} onSubmit={submit} noValidate aria-labelledby="pre-h">
      <h2 id="pre-h">Before we start</h2>
      <p class="hint">So the practice can reach you if the chat is interrupted.</p>
      {fields.map((f, i) => (
        <div class="fld" key={f}>
          <label for={`f-${f}`}>{FIELDS[f].label}</label>
          <input
            id={`f-${f}`}
            ref={i === 0 ? (el) => { inputRef.current = el; } : undefined}
            type={FIELDS[f].type}
            autoComplete={FIELDS[f].auto}
            maxLength={FIELDS[f].max}
            required
            value={values[f] ?? ''}
            aria-invalid={errors[f] ? 'true' : undefined}
            aria-describedby={errors[f] ? `e-${f}` : undefined}
            onInput={(e) => setValues({ ...values, [f]: e.currentTarget.value })}
          />
          {errors[f] && <p class="err" id={`e-${f}`}>{errors[f]}</p>}
        </div>
      ))}
      <button type="submit" class="send" aria-disabled={saving ? 'true' : undefined}>
        {saving ? 'Saving…' : 'Start chat'}
      </button>
    </form>
  );
}
