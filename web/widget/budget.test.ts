import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
// A private output folder, so this test never races a server test reading dist/.
const outdir = mkdtempSync(join(tmpdir(), 'bedside-widget-'));
const gz = (name: string) => gzipSync(readFileSync(join(outdir, name)), { level: 9 }).length;
const text = (name: string) => readFileSync(join(outdir, name), 'utf8');

describe('widget bundles', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build-web.mjs', '--outdir', outdir], { cwd: root, stdio: 'pipe' });
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('keeps the loader within 3 KB gzipped', () => {
    expect(gz('loader.js')).toBeLessThanOrEqual(3072);
  });

  it('keeps the chat app within 25 KB gzipped', () => {
    expect(gz('chat.js')).toBeLessThanOrEqual(25600);
  });

  it('builds a classic-script loader and a module chat with its stylesheet', () => {
    const loader = text('loader.js');
    expect(loader).not.toMatch(/^\s*(import|export)\b/m);
    expect(loader).toContain('Chat with us');
    expect(text('chat.js')).toContain('Message');
    expect(text('chat.css')).toContain('--c');
  });

  it('keeps server code out of the browser bundles', () => {
    for (const name of ['loader.js', 'chat.js']) {
      const code = text(name);
      expect(code).not.toMatch(/ZodError|zod|safeParse/);
      expect(code).not.toMatch(/\brequire\(/);
    }
  });
});
