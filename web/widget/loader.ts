/**
 * The embed script a practice puts on its website:
 *
 *   <script src="https://bedside.example/widget/loader.js" data-inbox="PUBLIC_KEY" async></script>
 *
 * Optional: data-color="#1f5fbf" (hex), data-position="left" (default right).
 * Draws a launcher button; the chat itself loads lazily, on first open, in an iframe served by
 * Bedside, so nothing of the practice's page reaches the chat and the other way round.
 */
import { brandColors } from './chat/color.ts';

const PREFIX = 'bedside-chat';

const CSS =
  ':host{all:initial}' +
  '.l,.p{position:fixed;z-index:2147483000;bottom:20px;right:20px}' +
  '.left .l,.left .p{right:auto;left:20px}' +
  '.l{width:60px;height:60px;border:0;border-radius:50%;padding:0;display:grid;place-items:center;cursor:pointer;background:var(--c);color:var(--fg);box-shadow:0 4px 14px rgba(0,0,0,.3)}' +
  '.l:focus-visible{outline:3px solid #111;outline-offset:3px;box-shadow:0 0 0 3px #fff}' +
  '.l svg{width:28px;height:28px;pointer-events:none}' +
  '.l .o,.open .l .c{display:none}' +
  '.open .l .o{display:block}' +
  '.d{position:absolute;top:2px;right:2px;width:14px;height:14px;border-radius:50%;background:#c5221f;border:2px solid #fff}' +
  '.d[hidden]{display:none}' +
  '.p{bottom:92px;width:380px;height:min(640px,calc(100vh - 112px));border:0;border-radius:14px;overflow:hidden;background:#fff;box-shadow:0 8px 32px rgba(0,0,0,.28)}' +
  '.p[hidden]{display:none}' +
  '.p iframe{width:100%;height:100%;border:0;display:block}' +
  '@media (prefers-reduced-motion:no-preference){.p{animation:u .18s ease-out}@keyframes u{from{opacity:0;transform:translateY(8px)}}}' +
  '@media (max-width:479px){.p{inset:0;width:100%;height:100%;border-radius:0;z-index:2147483001}.left .p{left:0}}' +
  '@media (forced-colors:active){.l{border:2px solid ButtonText}}';

const BUBBLE = '<path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v9a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 4v-4A2.5 2.5 0 0 1 4 14.5z" fill="currentColor"/>';
const CROSS = '<path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2.5" stroke-linecap="round"/>';

function svg(cls: string, body: string): string {
  return `<svg class="${cls}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">${body}</svg>`;
}

function init(script: HTMLScriptElement): void {
  const key = script.getAttribute('data-inbox')?.trim();
  if (!key) {
    // eslint-disable-next-line no-console
    console.warn('Bedside chat: the script tag needs a data-inbox attribute.');
    return;
  }
  if (document.querySelector(PREFIX)) return; // included twice
  const src = script.src;
  const origin = new URL(src).origin;
  const frameUrl = new URL(`frame?inbox=${encodeURIComponent(key)}`, src).href;

  const host = document.createElement(PREFIX);
  const { bg, fg } = brandColors(script.getAttribute('data-color'));
  host.style.setProperty('--c', bg);
  host.style.setProperty('--fg', fg);
  // The page's CSS cannot reach into a shadow root, nor ours out of it.
  const root = host.attachShadow({ mode: 'open' });
  const wrap = document.createElement('div');
  if (script.getAttribute('data-position') === 'left') wrap.className = 'left';
  const style = document.createElement('style');
  style.textContent = CSS;

  const button = document.createElement('button');
  const panelId = `${PREFIX}-panel`;
  button.type = 'button';
  button.className = 'l';
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', panelId);
  button.innerHTML = `${svg('c', BUBBLE)}${svg('o', CROSS)}<span class="d" hidden></span>`;
  const dot = button.lastElementChild as HTMLElement;

  const panel = document.createElement('div');
  panel.className = 'p';
  panel.id = panelId;
  panel.hidden = true;
  let frame: HTMLIFrameElement | null = null;

  const label = (unread: boolean) =>
    button.setAttribute('aria-label', unread ? 'Chat with us (new message)' : 'Chat with us');
  label(false);

  const setOpen = (open: boolean) => {
    if (open && !frame) {
      frame = document.createElement('iframe');
      frame.title = 'Chat with the practice';
      frame.src = frameUrl;
      // Focus given before the document loaded does not reach it: hand it over again once loaded.
      frame.onload = () => {
        if (!panel.hidden && root.activeElement === frame) frame?.contentWindow?.focus();
      };
      panel.appendChild(frame);
    }
    panel.hidden = !open;
    wrap.classList.toggle('open', open);
    button.setAttribute('aria-expanded', String(open));
    if (open) {
      dot.hidden = true;
      label(false);
      frame?.focus();
    } else {
      button.focus();
    }
  };

  button.addEventListener('click', () => setOpen(panel.hidden));
  button.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !panel.hidden) setOpen(false);
  });
  window.addEventListener('message', (e) => {
    if (e.origin !== origin || !frame || e.source !== frame.contentWindow) return;
    const what = (e.data as { bedside?: unknown } | null)?.bedside;
    if (what === 'close' && !panel.hidden) setOpen(false);
    else if (what === 'unread' && panel.hidden) {
      dot.hidden = false;
      label(true);
    }
  });

  wrap.append(button, panel);
  root.append(style, wrap);
  document.body.appendChild(host);
}

function boot(): void {
  const script = (document.currentScript as HTMLScriptElement | null)
    ?? document.querySelector<HTMLScriptElement>('script[data-inbox]');
  if (!script) return;
  const run = () => {
    try {
      init(script);
    } catch (err) {
      // eslint-disable-next-line no-console
      console.warn('Bedside chat could not start:', err);
    }
  };
  if (document.body) run();
  else document.addEventListener('DOMContentLoaded', run);
}

boot();
