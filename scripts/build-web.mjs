#!/usr/bin/env node
/**
 * Builds the browser assets of the website chat widget with esbuild:
 *   web/widget/loader.ts      -> <outdir>/loader.js  (IIFE, es2019; the script practices embed)
 *   web/widget/chat/main.tsx  -> <outdir>/chat.js    (ESM, es2020; the chat inside the iframe)
 *   web/widget/chat/chat.css  -> <outdir>/chat.css
 * and fails when a gzipped bundle is over its budget or server-only code slipped in.
 *
 * Usage: node scripts/build-web.mjs [--outdir DIR]   (default dist/web/widget)
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outdirArg = args.indexOf('--outdir');
const outdir = resolve(outdirArg >= 0 && args[outdirArg + 1] ? args[outdirArg + 1] : join(root, 'dist/web/widget'));

const BUDGETS = { 'loader.js': 3072, 'chat.js': 25600 };
/** Packages that must never reach the browser. */
const FORBIDDEN = /node_modules[\\/](zod|fastify|@fastify|ws|kysely|better-sqlite3|pino|@slack)[\\/]/;

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

const started = performance.now();
const results = await Promise.all([
  build({
    ...common,
    entryPoints: ['web/widget/loader.ts'],
    outfile: join(outdir, 'loader.js'),
    format: 'iife',
    target: 'es2019',
  }),
  build({
    ...common,
    entryPoints: ['web/widget/chat/main.tsx'],
    outfile: join(outdir, 'chat.js'),
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
  }),
  build({
    ...common,
    entryPoints: ['web/widget/chat/chat.css'],
    outfile: join(outdir, 'chat.css'),
    target: ['chrome90', 'firefox90', 'safari14'],
  }),
]).catch(() => {
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

const rows = [];
for (const name of ['loader.js', 'chat.js', 'chat.css']) {
  const bytes = readFileSync(join(outdir, name));
  const gz = gzipSync(bytes, { level: 9 }).length;
  const budget = BUDGETS[name];
  const over = budget !== undefined && gz > budget;
  if (over) failed = true;
  rows.push(`  ${name.padEnd(10)} ${String(bytes.length).padStart(7)} B  ${String(gz).padStart(6)} B gz` +
    (budget ? `  (budget ${budget} B gz${over ? ', OVER' : ''})` : ''));
}
const where = relative(process.cwd(), outdir) || '.';
console.log(`build-web: ${where} in ${Math.round(performance.now() - started)} ms\n${rows.join('\n')}`);
if (failed) {
  console.error('build-web: failed');
  process.exit(1);
}
