/** Small shared pieces: the announcer, the copy button, channel icons, field errors. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Channel } from '../api-types.ts';
import { channelLabel } from '../lib/format.ts';

// ---------------------------------------------------------------------------------------------
// Announcements for screen readers (status changes, copies, saves).

let announceListener: ((text: string) => void) | null = null;

/** Says `text` politely through the page's status region. */
export function announce(text: string): void {
  announceListener?.(text);
}

/** The visually hidden polite status region; render exactly one, inside <main>. */
export function Announcer() {
  const [text, setText] = useState('');
  useEffect(() => {
    let timer: number | undefined;
    announceListener = (t) => {
      // Clear first so the same words twice are announced twice.
      setText('');
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setText(t), 50);
    };
    return () => {
      announceListener = null;
      window.clearTimeout(timer);
    };
  }, []);
  return <p class="sr" role="status" aria-live="polite">{text}</p>;
}

// ---------------------------------------------------------------------------------------------

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** A button that copies `text`, says so, and shows "Copied" for a moment. */
export function CopyButton({ text, label, describedBy }: { text: string; label: string; describedBy?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<number>();
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return (
    <button
      type="button"
      class="btn"
      aria-describedby={describedBy}
      onClick={async () => {
        const ok = await copyText(text);
        setState(ok ? 'copied' : 'failed');
        announce(ok ? 'Copied to the clipboard.' : 'Could not copy: select the text and copy it by hand.');
        window.clearTimeout(timer.current);
        timer.current = window.setTimeout(() => setState('idle'), 2500);
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}
    </button>
  );
}

// ---------------------------------------------------------------------------------------------

const ICONS: Record<Channel, string> = {
  web: 'M4 5h16v11H8l-4 4z',
  sms: 'M5 3h14v18H5zM9 18h6',
  email: 'M3 6h18v12H3zM3 6l9 7 9-7',
  messenger: 'M12 3C7 3 3 6.6 3 11c0 2.4 1.2 4.5 3 6v4l3.5-2c.8.2 1.6.3 2.5.3 5 0 9-3.6 9-8s-4-8.3-9-8.3zM7 13l3.5-3.5 2.5 2 4-2.5',
  whatsapp: 'M4 20l1.3-4A8 8 0 1 1 8 18.7zM9 8c0 4 3 7 7 7',
  viber: 'M6 4h12a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-6l-4 4v-4H6a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zM10 8c0 2 2 4 4 4',
};

export function ChannelIcon({ channel }: { channel: string }) {
  const d = (ICONS as Record<string, string>)[channel] ?? ICONS.web;
  return (
    <svg class="ico" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={d} fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" />
    </svg>
  );
}

export function ChannelTag({ channel }: { channel: string }) {
  return (
    <span class={`ch ch-${channel}`}>
      <ChannelIcon channel={channel} />
      {channelLabel(channel)}
    </span>
  );
}

/** An error under a field; pair it with aria-describedby={id} and aria-invalid on the field. */
export function FieldError({ id, children }: { id: string; children: ComponentChildren }) {
  return (
    <p class="ferr" id={id} role="alert">
      {children}
    </p>
  );
}

/** A form-level problem. */
export function ErrorBox({ id, children }: { id?: string; children: ComponentChildren }) {
  return (
    <div class="errbox" id={id} role="alert">
      {children}
    </div>
  );
}

/** Moves focus to the page's h1 when the page (key) changes, for screen-reader users. */
export function useFocusHeading(key: string, skip = false) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!skip) ref.current?.focus();
  }, [key]);
  return ref;
}

/** The current time, re-read every `ms` so relative times stay true. */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}
