#!/usr/bin/env node
/**
 * Builds the browser assets with esbuild, and fails when a gzipped bundle is over its budget or
 * server-only code slipped in.
 *
 * The website chat widget, into <outdir> (default dist/web/widget):
 *   web/widget/loader.ts      -> loader.js  (IIFE, es2019; the script practices embed)
 *   web/widget/chat/main.tsx  -> chat.js    (ESM, es2020; the chat inside the iframe)
 *   web/widget/chat/chat.css  -> chat.css
 * The staff inbox, into <inbox-outdir> (default dist/web/inbox; <outdir>/inbox when only --outdir
 * is given, so a build into a scratch folder never touches dist/):
 *   web/inbox/main.tsx        -> inbox.js   (ESM, es2020; the single-page app served at /app/)
 *   web/inbox/inbox.css       -> inbox.css
 *
 * Usage: node scripts/build-web.mjs [--outdir DIR] [--inbox-outdir DIR] [--only widget|inbox]
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : null;
};
const outdirArg = arg('--outdir');
const outdir = resolve(outdirArg ?? join(root, 'dist/web/widget'));
const inboxOutdir = resolve(arg('--inbox-outdir') ?? (outdirArg ? join(outdir, 'inbox') : join(root, 'dist/web/inbox')));
const only = arg('--only');
if (only && only !== 'widget' && only !== 'inbox') {
  console.error('build-web: --only takes "widget" or "inbox"');
  process.exit(2);
}

const BUDGETS = { 'loader.js': 3072, 'chat.js': 25600, 'inbox.js': 61440 };
/** Packages that must never reach the browser. */
const FORBIDDEN = /node_modules[\\/](zod|fastify|@fastify|ws|kysely|better-sqlite3|pino|@slack|argon2|otplib|qrcode)[\\/]/;

const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  write: true,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  platform: 'browser',
};

const preact = { jsx: 'automatic', jsxImportSource: 'preact' };
const cssTarget = ['chrome90', 'firefox90', 'safari14'];

/** [group, output folder, file name, esbuild options] */
const targets = [
  ['widget', outdir, 'loader.js', { entryPoints: ['web/widget/loader.ts'], format: 'iife', target: 'es2019' }],
  ['widget', outdir, 'chat.js', { entryPoints: ['web/widget/chat/main.tsx'], format: 'esm', target: 'es2020', ...preact }],
  ['widget', outdir, 'chat.css', { entryPoints: ['web/widget/chat/chat.css'], target: cssTarget }],
  ['inbox', inboxOutdir, 'inbox.js', { entryPoints: ['web/inbox/main.tsx'], format: 'esm', target: 'es2020', ...preact }],
  ['inbox', inboxOutdir, 'inbox.css', { entryPoints: ['web/inbox/inbox.css'], target: cssTarget }],
].filter(([group]) => !only || group === only);

const started = performance.now();
const results = await Promise.all(
  targets.map(([, dir, name, options]) => build({ ...common, ...options, outfile: join(dir, name) })),
).catch(() => {
  // esbuild has already printed the errors.
  process.exit(1);
});

let failed = false;
for (const { metafile } of results) {
  for (const input of Object.keys(metafile.inputs)) {
    if (FORBIDDEN.test(input)) {
      console.error(`build-web: server-only module in a browser bundle: ${input}`);
      failed = true;
    }
  }
}

const lines = [];
for (const dir of [...new Set(targets.map(([, d]) => d))]) {
  lines.push(`  ${relative(process.cwd(), dir) || '.'}`);
  for (const [, d, name] of targets) {
    if (d !== dir) continue;
    const bytes = readFileSync(join(dir, name));
    const gz = gzipSync(bytes, { level: 9 }).length;
    const budget = BUDGETS[name];
    const over = budget !== undefined && gz > budget;
    if (over) failed = true;
    lines.push(`    ${name.padEnd(10)} ${String(bytes.length).padStart(7)} B  ${String(gz).padStart(6)} B gz` +
      (budget ? `  (budget ${budget} B gz${over ? ', OVER' : ''})` : ''));
  }
}
console.log(`build-web: ${Math.round(performance.now() - started)} ms\n${lines.join('\n')}`);
if (failed) {
  console.error('build-web: failed');
  process.exit(1);
}
