import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { botScopesFromManifest } from './manifest.ts';

const manifest = readFileSync(new URL('./app-manifest.yml', import.meta.url), 'utf8');

describe('Slack app manifest', () => {
  it('sends events, interactivity and the slash command to /slack/events', () => {
    const urls = [...manifest.matchAll(/^\s*(?:request_url|url): (\S+)$/gm)].map((m) => m[1]);
    expect(urls).toEqual(Array(3).fill('https://YOUR-BEDSIDE-HOST/slack/events'));
  });

  it('asks for the scopes the Web API calls and events need, and no more', () => {
    const botScopes = manifest.slice(manifest.indexOf('    bot:'), manifest.indexOf('settings:'));
    const scopes = [...botScopes.matchAll(/^ {6}- ([a-z:.]+)$/gm)].map((m) => m[1]);
    expect(scopes.sort()).toEqual(['channels:history', 'channels:read', 'chat:write', 'commands', 'groups:history', 'groups:read', 'users:read']);
    expect(manifest).toMatch(/bot_events:\n\s+- message\.channels\n\s+- message\.groups\n(?:\s+#.*\n)?\s+- app_uninstalled\n\s+- tokens_revoked/);
    expect(botScopesFromManifest().sort()).toEqual(scopes.sort());
  });

  it('sends "Add to Slack" back to /slack/oauth/callback', () => {
    expect(manifest).toMatch(/redirect_urls:\n\s+- https:\/\/YOUR-BEDSIDE-HOST\/slack\/oauth\/callback\n/);
  });
});
