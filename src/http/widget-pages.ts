/**
 * The widget's static side: the loader script practices embed, the iframe page and its bundle,
 * and /demo, a sample practice website with the widget on it.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Inbox } from '../domain/types.ts';
import { loadAssets, projectRoot } from './web-assets.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface WidgetPagesDeps {
  /** The inbox shown on /demo, if there is one. */
  demoInbox(): Promise<Inbox | undefined>;
}

export async function widgetPages(app: FastifyInstance, deps: WidgetPagesDeps): Promise<void> {
  const assets = loadAssets(join(projectRoot(), 'dist', 'web', 'widget'), ['loader.js', 'chat.js', 'chat.css']);

  for (const [name, asset] of assets) {
    app.get(`/widget/${name}`, async (req, reply) => {
      reply.header('content-type', asset.type).header('etag', asset.etag)
        // The loader URL is pasted into practice websites: keep it short-lived so updates reach them.
        .header('cache-control', name === 'loader.js' ? 'public, max-age=300' : 'public, max-age=3600')
        .header('access-control-allow-origin', '*')
        .header('cross-origin-resource-policy', 'cross-origin');
      if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.send(asset.body);
    });
  }

  app.get('/widget/frame', async (_req, reply) => {
    // The frame is embedded by practice sites anywhere; it carries nothing until the visitor
    // speaks, and scripts may only come from here.
    reply.header('content-security-policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *");
    reply.header('cache-control', 'no-cache');
    reply.type('text/html; charset=utf-8');
    return '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
      + '<title>Chat</title><link rel="stylesheet" href="/widget/chat.css"></head>'
      + '<body><div id="app"></div><script type="module" src="/widget/chat.js"></script></body></html>';
  });

  app.get('/demo', async (_req, reply) => {
    const inbox = await deps.demoInbox();
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache');
    if (!inbox) return reply.code(404).send('<!doctype html><title>No demo</title><p>No website inbox exists yet.</p>');
    return demoPage(inbox);
  });

  app.get('/', async (_req, reply) => reply.redirect('/demo'));
}

function demoPage(inbox: Inbox): string {
  const name = escapeHtml(inbox.name);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${name}</title>
<style>
  body { font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2937; background: #f8fafc; }
  header { background: #0f766e; color: #fff; padding: 2rem 1.5rem; }
  header h1 { margin: 0 0 .25rem; font-size: 1.9rem; }
  main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
  section { background: #fff; border-radius: 10px; padding: 1rem 1.5rem; margin: 0 0 1rem; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  h2 { font-size: 1.2rem; margin: .5rem 0; }
  .note { color: #475569; font-size: .95rem; }
</style>
</head>
<body>
<header><h1>${name}</h1><p>Family medicine, pediatrics and travel vaccinations</p></header>
<main>
  <section><h2>Opening hours</h2><p>Monday to Friday 8:00 to 18:00, Saturday 9:00 to 12:00.</p></section>
  <section><h2>Find us</h2><p>12 River Street, Springfield. Free parking behind the building; the entrance is step-free.</p></section>
  <section><h2>Questions?</h2><p>Use the chat button at the bottom right: our front desk answers during opening hours.</p>
  <p class="note">In an emergency call 911. Do not use the chat for urgent medical problems.</p></section>
  <p class="note">This is a demo page of Bedside, an open-source patient-messaging desk.</p>
</main>
<script src="/widget/loader.js" data-inbox="${escapeHtml(inbox.publicKey)}" data-color="${escapeHtml(inbox.settings.color)}" async></script>
</body>
</html>`;
}
