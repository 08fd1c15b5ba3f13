/** The Slack app manifest shipped with Bedside, read where the code needs what it declares. */
import { readFileSync } from 'node:fs';

export function readManifest(): string {
  return readFileSync(new URL('./app-manifest.yml', import.meta.url), 'utf8');
}

/** The bot scopes "Add to Slack" asks for: the manifest's, so the two cannot drift apart. */
export function botScopesFromManifest(manifest = readManifest()): string[] {
  const start = manifest.indexOf('    bot:');
  const section = manifest.slice(start, manifest.indexOf('settings:', start));
  return [...section.matchAll(/^ {6}- ([a-z:.]+)$/gm)].map((m) => m[1] as string);
}
