/**
 * Which Slack workspace (bot token, default channel) serves an organization, and which
 * organization a callback from a workspace belongs to.
 *
 * - Environment mode (SLACK_BOT_TOKEN, SLACK_CHANNEL_ID): one workspace for the whole installation,
 *   as in the quick start; every organization posts there.
 * - OAuth mode (SLACK_CLIENT_ID): each organization installs the app into its own workspace;
 *   tokens are read from the store (sealed at rest) and callbacks are routed by their `team_id`.
 */
import type { SlackAppConfig, SlackConfig } from '../../config.ts';
import type { Store } from '../../store/types.ts';
import { SlackApi } from './api.ts';
import { SlackUserCache } from './users.ts';

export interface SlackWorkspace {
  teamId: string | undefined;
  api: SlackApi;
  users: SlackUserCache;
  /** Where an inbox without its own channel opens threads; null until an administrator chooses one. */
  defaultChannelId: string | null;
}

/** Where a Slack callback may act: one organization, or (environment mode) all of them. */
export interface CallbackScope {
  orgId: string | undefined;
  workspace: SlackWorkspace;
}

export interface SlackWorkspaces {
  readonly mode: 'env' | 'oauth';
  /** Whether this organization's conversations are mirrored to Slack now (cheap: called per message). */
  enabledFor(orgId: string): boolean;
  /** The organization's connected workspace; undefined when it has none (never installed, or revoked). */
  forOrg(orgId: string): Promise<SlackWorkspace | undefined>;
  /** The scope of a callback from `teamId`; undefined when no organization has that workspace connected. */
  scopeOf(teamId: string | undefined): Promise<CallbackScope | undefined>;
  /** After an install, a revocation or a channel change: forget what was cached for the organization. */
  refresh(orgId: string): Promise<void>;
}

export class EnvWorkspace implements SlackWorkspaces {
  readonly mode = 'env' as const;
  private readonly workspace: SlackWorkspace;

  constructor(config: SlackConfig, timeoutMs: number) {
    const api = new SlackApi(config.botToken, config.apiUrl, timeoutMs);
    this.workspace = { teamId: undefined, api, users: new SlackUserCache(api), defaultChannelId: config.channelId };
  }

  enabledFor(): boolean { return true; }
  forOrg(): Promise<SlackWorkspace> { return Promise.resolve(this.workspace); }
  scopeOf(): Promise<CallbackScope> { return Promise.resolve({ orgId: undefined, workspace: this.workspace }); }
  refresh(): Promise<void> { return Promise.resolve(); }
}

export class InstalledWorkspaces implements SlackWorkspaces {
  readonly mode = 'oauth' as const;
  private readonly active = new Set<string>();
  /** One client per organization and token: a reinstall (new token) gets a new client. */
  private readonly clients = new Map<string, { token: string; api: SlackApi; users: SlackUserCache }>();

  constructor(private readonly store: Store, private readonly config: SlackAppConfig, private readonly timeoutMs: number) {}

  async load(): Promise<this> {
    const active = new Set(await this.store.slack.listActiveOrgIds());
    for (const orgId of this.active) if (!active.has(orgId)) this.active.delete(orgId);
    for (const orgId of active) this.active.add(orgId);
    return this;
  }

  /**
   * With several nodes, another one may have handled an install or a revocation: re-read which
   * practices are connected every `everyMs`. Returns the function that stops it.
   */
  keepFresh(everyMs: number, onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => { this.load().catch(onError); }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  enabledFor(orgId: string): boolean {
    return this.active.has(orgId);
  }

  async forOrg(orgId: string): Promise<SlackWorkspace | undefined> {
    const installation = await this.store.slack.getInstallation(orgId);
    if (!installation || installation.status !== 'active' || !installation.botToken) {
      this.active.delete(orgId);
      return undefined;
    }
    this.active.add(orgId);
    let client = this.clients.get(orgId);
    if (!client || client.token !== installation.botToken) {
      const api = new SlackApi(installation.botToken, this.config.apiUrl, this.timeoutMs);
      client = { token: installation.botToken, api, users: new SlackUserCache(api) };
      this.clients.set(orgId, client);
    }
    return { teamId: installation.teamId, api: client.api, users: client.users, defaultChannelId: installation.defaultChannelId };
  }

  async scopeOf(teamId: string | undefined): Promise<CallbackScope | undefined> {
    if (!teamId) return undefined;
    const installation = await this.store.slack.findInstallationByTeam(teamId);
    if (!installation) return undefined;
    const workspace = await this.forOrg(installation.orgId);
    return workspace && { orgId: installation.orgId, workspace };
  }

  async refresh(orgId: string): Promise<void> {
    this.clients.delete(orgId);
    await this.forOrg(orgId);
  }
}
