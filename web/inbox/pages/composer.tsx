import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { CannedResponse } from '../api-types.ts';
import { cannedQuery, matchCanned, moveActive } from '../lib/canned.ts';
import { MAX_REPLY_CHARS } from '../lib/conversation.ts';
import { channelLabel, oneLine, plural } from '../lib/format.ts';
import type { TypingSender } from '../lib/live.ts';
import { cannedList, useCached } from '../ui/directory.ts';

export type ComposerMode = 'reply' | 'note';

export interface ComposerHandle {
  focus(mode: ComposerMode): void;
}

/** Unsent text per conversation, kept in memory while moving between conversations. */
const drafts = new Map<string, string>();

export interface ComposerProps {
  /** The conversation the draft belongs to. */
  draftKey: string;
  channel: string;
  /** Channels a reply can go out on (the conversation's own first); a choice appears when there are several. */
  replyChannels?: string[];
  typing: TypingSender | null;
  onSend: (body: string, internal: boolean, channel: string) => void;
  handle: { current: ComposerHandle | null };
}

export function Composer({ draftKey, channel: own, replyChannels = [], typing, onSend, handle }: ComposerProps) {
  const [mode, setMode] = useState<ComposerMode>('reply');
  const [picked, setPicked] = useState<string | null>(null);
  const channel = picked && replyChannels.includes(picked) ? picked : own;
  const [text, setTextState] = useState(() => drafts.get(draftKey) ?? '');
  const setText = (v: string) => {
    setTextState(v);
    if (v) drafts.set(draftKey, v);
    else drafts.delete(draftKey);
  };
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const [caretToEnd, setCaretToEnd] = useState(false);
  const canned = useCached(cannedList);
  const area = useRef<HTMLTextAreaElement>(null);

  const query = cannedQuery(text);
  const suggestions: CannedResponse[] = query !== null && query !== dismissed && canned ? matchCanned(canned, query) : [];
  const open = suggestions.length > 0;
  const activeIndex = open ? Math.min(Math.max(active, 0), suggestions.length - 1) : -1;

  handle.current = {
    focus(m) {
      setMode(m);
      if (m === 'note') typing?.stop();
      area.current?.focus();
    },
  };
  useEffect(() => () => {
    handle.current = null;
  }, []);

  useLayoutEffect(() => {
    if (!caretToEnd || !area.current) return;
    const el = area.current;
    el.selectionStart = el.selectionEnd = el.value.length;
    setCaretToEnd(false);
  }, [caretToEnd]);

  const insert = (c: CannedResponse) => {
    setText(c.body);
    setActive(0);
    setCaretToEnd(true);
    area.current?.focus();
    if (mode === 'reply') typing?.input();
  };

  const submit = () => {
    const body = text.trim();
    if (!body) return;
    onSend(body, mode === 'note', channel);
    setText('');
    setDismissed(null);
    typing?.stop();
    area.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (open) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setActive(moveActive(activeIndex, e.key === 'ArrowDown' ? 1 : -1, suggestions.length));
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        const pick = suggestions[activeIndex];
        if (pick) {
          e.preventDefault();
          insert(pick);
          return;
        }
      }
      if (e.key === 'Escape') {
        // Closes the suggestions only; the next Escape leaves the field.
        e.preventDefault();
        e.stopPropagation();
        setDismissed(query);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  };

  const note = mode === 'note';
  const near = text.length >= MAX_REPLY_CHARS - 500;
  return (
    <form
      class={note ? 'composer note' : 'composer'}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <fieldset class="mode">
        <legend class="sr">Message type</legend>
        <input
          type="radio"
          id="mode-reply"
          name="composer-mode"
          checked={!note}
          onChange={() => setMode('reply')}
        />
        <label for="mode-reply">Reply</label>
        <input
          type="radio"
          id="mode-note"
          name="composer-mode"
          checked={note}
          onChange={() => {
            setMode('note');
            typing?.stop();
          }}
        />
        <label for="mode-note">Note</label>
      </fieldset>
      <label for="composer" class="sr">Reply</label>
      <div class="ta-wrap">
        <textarea
          id="composer"
          ref={area}
          rows={3}
          value={text}
          placeholder={note ? 'Internal note: only staff can see it' : `Reply by ${channelLabel(channel)}…`}
          maxLength={MAX_REPLY_CHARS}
          aria-describedby={near ? 'composer-hint composer-count' : 'composer-hint'}
          aria-autocomplete="list"
          aria-controls={open ? 'canned-list' : undefined}
          aria-activedescendant={open && activeIndex >= 0 ? `canned-${activeIndex}` : undefined}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setText(v);
            setActive(0);
            if (cannedQuery(v) === null) setDismissed(null);
            if (mode === 'reply' && v.trim()) typing?.input();
            else if (!v.trim()) typing?.stop();
          }}
          onKeyDown={onKeyDown}
          onBlur={() => typing?.stop()}
        />
        {open && (
          <ul id="canned-list" class="canned" role="listbox" aria-label="Canned responses">
            {suggestions.map((c, i) => (
              <li
                key={c.id}
                id={`canned-${i}`}
                role="option"
                aria-selected={i === activeIndex ? 'true' : 'false'}
                onMouseDown={(e) => {
                  e.preventDefault();
                  insert(c);
                }}
              >
                <span class="sc">/{c.shortcut.replace(/^\//, '')}</span> <span class="ti">{c.title}</span>
                <span class="bd">{oneLine(c.body, 90)}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      <p class="sr" role="status">
        {open ? `${plural(suggestions.length, 'canned response')}. Up and down arrows to choose, Enter to insert.` : ''}
      </p>
      <div class="cbar">
        <p id="composer-hint" class="hint">
          {note ? 'Internal note: only staff can see it.' : replyChannels.length > 1 ? (
            <label class="via">
              Goes to the patient by{' '}
              <select value={channel} onChange={(e) => setPicked(e.currentTarget.value)}>
                {replyChannels.map((c) => <option key={c} value={c}>{channelLabel(c)}</option>)}
              </select>
            </label>
          ) : `Goes to the patient by ${channelLabel(channel)}.`}{' '}
          <span class="keys-hint">Enter sends, Shift+Enter for a new line, / for canned responses.</span>
        </p>
        <button type="submit" class="btn primary">{note ? 'Add note' : 'Send'}</button>
      </div>
      {near && (
        <p id="composer-count" class={text.length >= MAX_REPLY_CHARS ? 'count-max ferr' : 'hint'}>
          {text.length} / {MAX_REPLY_CHARS} characters
        </p>
      )}
    </form>
  );
}
