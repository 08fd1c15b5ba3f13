import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const manifest = readFileSync(new URL('./app-manifest.yml', import.meta.url), 'utf8');

describe('Slack app manifest', () => {
  it('sends events, interactivity and the slash command to /slack/events', () => {
    const urls = [...manifest.matchAll(/^\s*(?:request_url|url): (\S+)$/gm)].map((m) => m[1]);
    expect(urls).toEqual(Array(3).fill('https://YOUR-BEDSIDE-HOST/slack/events'));
  });

  it('asks for the scopes the Web API calls and events need, and no more', () => {
    const botScopes = manifest.slice(manifest.indexOf('    bot:'), manifest.indexOf('settings:'));
    const scopes = [...botScopes.matchAll(/^ {6}- ([a-z:.]+)$/gm)].map((m) => m[1]);
    expect(scopes.sort()).toEqual(['channels:history', 'chat:write', 'commands', 'groups:history', 'users:read']);
    expect(manifest).toMatch(/bot_events:\n\s+- message\.channels\n\s+- message\.groups/);
  });
});
