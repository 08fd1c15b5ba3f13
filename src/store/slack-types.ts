/** Store contract for Slack workspaces installed by OAuth ("Add to Slack"), one per organization. */
import type { Conversation } from '../domain/types.ts';

export type SlackInstallationStatus = 'active' | 'revoked';

export interface SlackInstallation {
  orgId: string;
  teamId: string;
  teamName: string;
  appId: string | null;
  botUserId: string;
  scope: string;
  /** The bot token, opened; null once revoked. */
  botToken: string | null;
  status: SlackInstallationStatus;
  defaultChannelId: string | null;
  installedBy: string | null;
  installedAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
}

export type NewSlackInstallation = Pick<SlackInstallation,
  'orgId' | 'teamId' | 'teamName' | 'appId' | 'botUserId' | 'scope' | 'installedBy' | 'installedAt'> & { botToken: string };

export interface SlackOAuthState {
  stateHash: string;
  orgId: string;
  staffId: string;
  sessionHash: string;
  browserHash: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface SlackStoreOps {
  getInstallation(orgId: string): Promise<SlackInstallation | undefined>;
  findInstallationByTeam(teamId: string): Promise<SlackInstallation | undefined>;
  /**
   * Creates the organization's installation or replaces it (a reinstall: new token, active again).
   * The default channel survives a reinstall to the same workspace.
   */
  saveInstallation(i: NewSlackInstallation): Promise<void>;
  /** Marks the installation revoked and deletes its token. False when there was nothing active. */
  revokeInstallation(orgId: string, at: number, reason: string): Promise<boolean>;
  setDefaultChannel(orgId: string, channelId: string | null): Promise<void>;
  /** Organizations whose workspace is connected now. */
  listActiveOrgIds(): Promise<string[]>;
  countInstallations(): Promise<{ active: number; revoked: number }>;

  createOAuthState(s: Omit<SlackOAuthState, 'usedAt'>): Promise<void>;
  /**
   * Marks the state used and returns it as it was before (usedAt null on the first use): a state
   * can succeed once, however many requests race with it. Undefined when unknown.
   */
  consumeOAuthState(stateHash: string, now: number): Promise<SlackOAuthState | undefined>;

  /** A conversation by its Slack thread, within one organization (one workspace's channel ids). */
  findConversationByThread(orgId: string, channelId: string, threadTs: string): Promise<Conversation | undefined>;
}
