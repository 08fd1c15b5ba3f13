import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const root = resolve(here, '../..');
// A private output folder, so this test never races a server test reading dist/.
const outdir = mkdtempSync(join(tmpdir(), 'bedside-inbox-'));
const file = (name: string) => join(outdir, 'inbox', name);
const text = (name: string) => readFileSync(file(name), 'utf8');

describe('staff inbox bundle', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build-web.mjs', '--outdir', outdir, '--only', 'inbox'], { cwd: root, stdio: 'pipe' });
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('keeps the app within 60 KB gzipped', () => {
    expect(gzipSync(readFileSync(file('inbox.js')), { level: 9 }).length).toBeLessThanOrEqual(61440);
  });

  it('is an ES module with its stylesheet', () => {
    expect(text('inbox.js')).toMatch(/Authentication code/);
    expect(text('inbox.css')).toContain('.note');
  });

  it('runs under the CSP: no eval', () => {
    expect(text('inbox.js')).not.toMatch(/\beval\(|new Function\(/);
  });

  it('never renders text as HTML (message bodies are patient text)', () => {
    const sources = readdirSync(here, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(10);
    for (const f of sources) {
      expect(readFileSync(join(here, f), 'utf8'), f).not.toMatch(/dangerouslySetInnerHTML|\.innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
  });

  it('keeps server code out of the browser bundle', () => {
    const code = text('inbox.js');
    expect(code).not.toMatch(/ZodError|safeParse|argon2|otplib/);
    expect(code).not.toMatch(/\brequire\(/);
  });
});
