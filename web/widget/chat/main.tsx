import { render } from 'preact';
import { App } from './app.tsx';
import type { Clock, SocketFactory, StorageLike } from './session.ts';
import { ChatSession } from './session.ts';

const socket: SocketFactory = (url, h) => {
  const ws = new WebSocket(url);
  ws.onopen = h.open;
  ws.onmessage = (e) => h.message(typeof e.data === 'string' ? e.data : '');
  ws.onclose = h.close;
  ws.onerror = h.error;
  return ws;
};

const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (handle) => window.clearTimeout(handle as number),
};

/** localStorage, or memory when the browser blocks storage in third-party frames. */
function storage(): StorageLike {
  try {
    const s = window.localStorage;
    const probe = 'bedside:probe';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    const m = new Map<string, string>();
    return {
      getItem: (k) => m.get(k) ?? null,
      setItem: (k, v) => void m.set(k, v),
      removeItem: (k) => void m.delete(k),
    };
  }
}

const embedded = window.parent !== window;
const inbox = new URLSearchParams(location.search).get('inbox')?.trim() ?? '';
let session: ChatSession | null = null;
if (inbox) {
  const url = new URL('ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = `?inbox=${encodeURIComponent(inbox)}`;
  session = new ChatSession({
    inbox,
    url: url.href,
    socket,
    storage: storage(),
    clock,
    // Lets the page show a "new message" mark on the launcher while the chat is closed.
    onIncoming: () => {
      if (embedded) window.parent.postMessage({ bedside: 'unread' }, '*');
    },
  });
}

const root = document.getElementById('app');
if (root) render(<App session={session} embedded={embedded} />, root);
