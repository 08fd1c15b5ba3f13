/**
 * The patient's side of notice mode: /m (a small page, its script, no framework) and the public
 * API it calls. Nothing here is readable without the link, a fresh code, and the date of birth
 * when the practice has it.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CLIENT_ID_PATTERN, MAX_MESSAGE_CHARS } from '../channels/widget/protocol.ts';
import type { SecureLinks } from '../features/secure-links.ts';
import type { ApiRegistry } from './api/registry.ts';

const token = z.string().min(16).max(64);

export function secureLinkRoutes(api: ApiRegistry, links: SecureLinks): void {
  api.route({
    method: 'POST', url: '/api/secure/code', tag: 'patient link', access: 'public', summary: 'Send a one-time code to the patient',
    body: z.object({ token }).strict(),
    response: { schema: z.object({ needsDateOfBirth: z.boolean() }) },
    handler: ({ body, ip }) => links.requestCode(body.token, ip),
  });

  api.route({
    method: 'POST', url: '/api/secure/open', tag: 'patient link', access: 'public', summary: 'Read the conversation after confirming the code',
    body: z.object({ token, code: z.string().regex(/^\d{6}$/), dateOfBirth: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() }).strict(),
    handler: async ({ body, ip, reply }) => {
      const r = await links.open(body.token, body.code, body.dateOfBirth, ip);
      reply.header('cache-control', 'no-store');
      return {
        practice: r.practice, readerToken: r.readerToken,
        messages: r.messages.map((m) => ({ from: m.direction === 'in' ? 'you' : (m.authorName ?? r.practice), body: m.body, at: new Date(m.createdAt).toISOString() })),
      };
    },
  });

  api.route({
    method: 'POST', url: '/api/secure/reply', tag: 'patient link', access: 'public', summary: 'Answer from the secure page',
    body: z.object({
      token, readerToken: token, clientId: z.string().regex(CLIENT_ID_PATTERN),
      body: z.string().max(MAX_MESSAGE_CHARS).refine((s) => s.trim().length > 0, 'empty'),
    }).strict(),
    response: { status: 201, schema: z.object({ ok: z.literal(true) }) },
    handler: async ({ body }) => {
      await links.reply(body.token, body.readerToken, body.body.trim(), body.clientId);
      return { ok: true as const };
    },
  });
}

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Your message</title><link rel="stylesheet" href="/m/secure.css"></head><body><main>
<h1>Your message from the practice</h1>
<section id="step-code"><p>To keep your health information private, we first send a code to you, by text or e-mail, the way our message reached you.</p>
<button id="send-code" type="button">Send me a code</button></section>
<form id="step-open" hidden><label for="code">Code from our message</label>
<input id="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required>
<div id="dob-row" hidden><label for="dob">Your date of birth</label><input id="dob" type="date"></div>
<button type="submit">Show my messages</button></form>
<section id="step-read" hidden><ol id="messages" aria-live="polite"></ol>
<form id="reply"><label for="reply-text">Your reply</label><textarea id="reply-text" rows="3" maxlength="4000" required></textarea>
<button type="submit">Send reply</button></form></section>
<p id="status" role="status"></p><p id="error" role="alert"></p>
</main><script type="module" src="/m/secure.js"></script></body></html>`;

const CSS = `body{font:17px/1.5 system-ui,sans-serif;margin:0;color:#1f2937;background:#f8fafc}main{max-width:36rem;margin:0 auto;padding:1.5rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}input,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #64748b;border-radius:6px}
button{font:inherit;margin-top:.75rem;padding:.55rem 1rem;border:0;border-radius:6px;background:#0f766e;color:#fff;cursor:pointer}
button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
#messages{list-style:none;padding:0}#messages li{background:#fff;border-radius:8px;padding:.6rem .8rem;margin:.5rem 0;white-space:pre-wrap}
#messages small{display:block;color:#475569}#error{color:#b91c1c}`;

// Plain DOM, text only (never innerHTML): the token stays in the fragment and in memory.
const SCRIPT = `const token = location.hash.slice(1);
const $ = (id) => document.getElementById(id);
let reader = '';
async function call(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error?.message ?? 'Something went wrong. Please try again.');
  return data;
}
function show(messages) {
  const list = $('messages');
  list.textContent = '';
  for (const m of messages) {
    const li = document.createElement('li');
    const who = document.createElement('small');
    who.textContent = m.from + ', ' + new Date(m.at).toLocaleString();
    li.append(who, document.createTextNode(m.body));
    list.append(li);
  }
}
function fail(err) { $('error').textContent = err.message; }
$('send-code').addEventListener('click', async () => {
  $('error').textContent = '';
  try {
    const r = await call('/api/secure/code', { token });
    $('dob-row').hidden = !r.needsDateOfBirth;
    $('dob').required = r.needsDateOfBirth;
    $('step-open').hidden = false;
    $('status').textContent = 'We sent you a code, the way our message reached you.';
    $('code').focus();
  } catch (err) { fail(err); }
});
$('step-open').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('error').textContent = '';
  try {
    const body = { token, code: $('code').value.trim() };
    if (!$('dob-row').hidden) body.dateOfBirth = $('dob').value;
    const r = await call('/api/secure/open', body);
    reader = r.readerToken;
    show(r.messages);
    $('step-code').hidden = true;
    $('step-open').hidden = true;
    $('step-read').hidden = false;
    $('status').textContent = 'Your messages from ' + r.practice + '.';
  } catch (err) { fail(err); }
});
$('reply').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('reply-text').value;
  try {
    await call('/api/secure/reply', { token, readerToken: reader, body: text, clientId: crypto.randomUUID().replaceAll('-', '') });
    $('reply-text').value = '';
    $('status').textContent = 'Your reply was sent.';
  } catch (err) { fail(err); }
});
if (!token) fail(new Error('This page needs the link from our message.'));
`;

export async function secureLinkPages(app: FastifyInstance): Promise<void> {
  const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  app.get('/m', async (_req, reply) => reply.header('content-security-policy', csp).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(PAGE));
  app.get('/m/secure.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(SCRIPT));
  app.get('/m/secure.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(CSS));
}
