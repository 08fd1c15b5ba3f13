/**
 * The staff web app: one HTML shell for every client-side route, and its bundle. The shell holds
 * no data (everything comes from the API after sign-in), so it can be served to anyone.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadAssets, projectRoot } from './web-assets.ts';

const SHELL = '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
  + '<title>Bedside</title><link rel="stylesheet" href="/app/inbox.css"></head>'
  + '<body><div id="app"></div><script type="module" src="/app/inbox.js"></script></body></html>';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
  + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const APP_ROUTES = ['/login', '/enrol', '/inbox', '/inbox/conversations/:id', '/admin', '/admin/:page'];

export async function inboxPages(app: FastifyInstance): Promise<void> {
  const assets = loadAssets(join(projectRoot(), 'dist', 'web', 'inbox'), ['inbox.js', 'inbox.css']);
  for (const [name, asset] of assets) {
    app.get(`/app/${name}`, async (req, reply) => {
      reply.header('content-type', asset.type).header('etag', asset.etag).header('cache-control', 'no-cache');
      if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.send(asset.body);
    });
  }
  for (const url of APP_ROUTES) {
    app.get(url, async (_req, reply) => reply
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(SHELL));
  }
}
