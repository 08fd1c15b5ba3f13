import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset { body: Buffer; etag: string; type: string }

/** The project root, whether running from src/ (tsx) or from the compiled dist/src/. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the server code');
    dir = up;
  }
  return dir;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Loads built browser files once at boot: they are small, and serving from memory is fastest. */
export function loadAssets(dir: string, names: string[]): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const file = join(dir, name);
    if (!existsSync(file)) {
      throw new Error(`Widget file ${name} is missing: run "npm run build:web" (npm start does it for you)`);
    }
    const body = readFileSync(file);
    const ext = name.slice(name.lastIndexOf('.'));
    assets.set(name, { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, type: TYPES[ext] ?? 'application/octet-stream' });
  }
  return assets;
}
