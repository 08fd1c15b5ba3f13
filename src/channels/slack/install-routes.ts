/**
 * HTTP side of "Add to Slack" and of each practice's Slack settings:
 * - GET /api/slack/install (owner or admin): sends the browser to Slack's authorize page;
 * - GET /slack/oauth/callback: where Slack sends it back; a page (or JSON) that says what failed;
 * - GET /api/admin/slack/channels, PUT /api/admin/slack/default-channel: where threads open.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, errorBody } from '../../errors.ts';
import type { AuditTrail } from '../../features/audit.ts';
import type { ApiRegistry } from '../../http/api/registry.ts';
import { staffActor } from '../../http/api/session-guard.ts';
import type { Store } from '../../store/types.ts';
import { CALLBACK_PATH, STATE_TTL_MS, type SlackInstaller } from './oauth.ts';
import type { SlackWorkspaces } from './workspaces.ts';

export const INSTALL_COOKIE = 'bedside_slack_install';
const channelId = z.string().regex(/^[CG][A-Z0-9]{2,20}$/, 'a Slack channel id such as C0123456789');

export interface SlackInstallDeps {
  /** The app's client credentials, for apps.uninstall. */
  app: { clientId: string; clientSecret: string };
  store: Store;
  installer: SlackInstaller;
  workspaces: SlackWorkspaces;
  audit: AuditTrail;
  publicUrl: string;
}

/** What the admin page and API show about the practice's workspace (no token, ever). */
export async function slackConnection(store: Store, mode: 'env' | 'oauth', orgId: string) {
  if (mode === 'env') return { mode, workspace: null };
  const i = await store.slack.getInstallation(orgId);
  return {
    mode,
    connected: i?.status === 'active',
    channelId: i?.defaultChannelId ?? null,
    workspace: i ? {
      teamId: i.teamId, teamName: i.teamName, status: i.status === 'active' ? 'connected' as const : 'disconnected' as const,
      installedAt: new Date(i.installedAt).toISOString(), revokedAt: i.revokedAt === null ? null : new Date(i.revokedAt).toISOString(),
      revokedReason: i.revokedReason,
    } : null,
  };
}

export function slackInstallApiRoutes(api: ApiRegistry, deps: SlackInstallDeps): void {
  const { store, installer, workspaces, audit } = deps;
  const secure = deps.publicUrl.startsWith('https://');

  api.route({
    method: 'GET', url: '/api/slack/install', tag: 'admin', access: 'admin',
    summary: '"Add to Slack": redirects to Slack\'s authorize page (OAuth v2) for this practice',
    response: { status: 302, description: 'Redirect to Slack' },
    handler: async ({ auth: a, reply, ip }) => {
      const started = await installer.start({ orgId: a.org.id, staffId: a.account.id, sessionHash: a.session.idHash });
      await audit.record(store, staffActor(a, ip), 'slack.install_start', 'success', { type: 'organization', id: a.org.id });
      // Lax, unlike the session cookie: it must come back on Slack's top-level redirect.
      reply.setCookie(INSTALL_COOKIE, started.browserBinding, {
        path: CALLBACK_PATH, httpOnly: true, sameSite: 'lax', secure, maxAge: Math.round(STATE_TTL_MS / 1000),
      });
      reply.header('cache-control', 'no-store');
      return reply.redirect(started.authorizeUrl, 302);
    },
  });

  api.route({
    method: 'GET', url: '/api/admin/slack/channels', tag: 'admin', access: 'admin', summary: 'Channels of the practice\'s Slack workspace, to choose from',
    response: { schema: z.object({ items: z.array(z.object({ id: z.string(), name: z.string(), isPrivate: z.boolean(), isMember: z.boolean() })) }) },
    handler: async ({ auth: a }) => {
      const ws = await workspaces.forOrg(a.org.id);
      if (!ws) throw new AppError('slack_not_connected', 409, 'Slack is not connected for this practice');
      try {
        return { items: await ws.api.listChannels() };
      } catch {
        throw new AppError('slack_unavailable', 502, 'Slack did not list the channels; type the channel id instead');
      }
    },
  });

  api.route({
    method: 'PUT', url: '/api/admin/slack/default-channel', tag: 'admin', access: 'admin',
    summary: 'The channel where threads open for inboxes without their own', body: z.object({ channelId: channelId.nullable() }).strict(),
    handler: async ({ auth: a, body, ip }) => {
      if (workspaces.mode === 'env') throw new AppError('slack_env_mode', 409, 'The channel is set by SLACK_CHANNEL_ID on the server');
      const i = await store.slack.getInstallation(a.org.id);
      if (!i) throw new AppError('slack_not_connected', 409, 'Slack is not connected for this practice');
      await store.transaction(async (tx) => {
        await tx.slack.setDefaultChannel(a.org.id, body.channelId);
        await audit.record(tx, staffActor(a, ip), 'slack.default_channel', 'success', { type: 'organization', id: a.org.id }, { channelId: body.channelId });
      });
      await workspaces.refresh(a.org.id);
      return slackConnection(store, workspaces.mode, a.org.id);
    },
  });

  api.route({
    method: 'DELETE', url: '/api/admin/slack/installation', tag: 'admin', access: 'admin',
    summary: 'Disconnect Slack: removes the app from the practice\'s workspace and deletes its token',
    handler: async ({ auth: a, ip }) => {
      const ws = await workspaces.forOrg(a.org.id);
      if (!ws) throw new AppError('slack_not_connected', 409, 'Slack is not connected for this practice');
      let removedInSlack = true;
      try {
        await ws.api.uninstall(deps.app.clientId, deps.app.clientSecret);
      } catch {
        // The token is deleted here whatever Slack says; the app may then still be listed in Slack.
        removedInSlack = false;
      }
      await store.transaction(async (tx) => {
        await tx.slack.revokeInstallation(a.org.id, Date.now(), 'removed_by_admin');
        await audit.record(tx, staffActor(a, ip), 'slack.uninstall', 'success', { type: 'organization', id: a.org.id }, { removedInSlack });
      });
      await workspaces.refresh(a.org.id);
      return slackConnection(store, workspaces.mode, a.org.id);
    },
  });
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, message: string, code: string): string {
  return '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
    + `<title>${escapeHtml(title)} · Bedside</title></head><body><main><h1>${escapeHtml(title)}</h1>`
    + `<p id="slack-install-error" data-code="${escapeHtml(code)}">${escapeHtml(message)}</p>`
    + '<p><a href="/admin/slack">Back to the Slack settings</a></p></main></body></html>';
}

export async function slackOAuthCallbackRoute(app: FastifyInstance, deps: { installer: SlackInstaller; publicUrl: string }): Promise<void> {
  const secure = deps.publicUrl.startsWith('https://');
  const query = z.object({ state: z.string().optional(), code: z.string().optional(), error: z.string().optional() });
  app.get(CALLBACK_PATH, async (req, reply) => {
    const q = query.safeParse(req.query);
    const input = q.success ? q.data : {};
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    // The binding is single-use like the state: gone whatever the outcome.
    reply.clearCookie(INSTALL_COOKIE, { path: CALLBACK_PATH, httpOnly: true, sameSite: 'lax', secure });
    try {
      await deps.installer.finish({
        state: input.state, code: input.code, error: input.error, browserBinding: req.cookies?.[INSTALL_COOKIE], ip: req.ip,
      });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      if (String(req.headers.accept ?? '').includes('application/json')) return reply.code(err.httpStatus).send(errorBody(err.code, err.message));
      return reply.code(err.httpStatus).header('content-security-policy', "default-src 'none'; base-uri 'none'; frame-ancestors 'none'")
        .type('text/html; charset=utf-8').send(page('Slack was not connected', err.message, err.code));
    }
    return reply.redirect(`${deps.publicUrl}/admin/slack?connected=1`, 303);
  });
}
