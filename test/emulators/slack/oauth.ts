/**
 * One Slack app installed into several workspaces ("Add to Slack", OAuth v2), for tests.
 *
 * A front server in place of slack.com:
 * - `GET /oauth/v2/authorize?client_id&scope&redirect_uri&state`: the authorize page. Where a
 *   person would pick a workspace and press Allow (or Cancel), `decide()` chooses; the browser is
 *   sent to `redirect_uri?code=...&state=...` or `redirect_uri?error=access_denied&state=...`
 *   ("Installing with OAuth").
 * - `POST /api/oauth.v2.access` (client_id and client_secret as form fields or HTTP Basic, code,
 *   redirect_uri): the documented response `{ok, access_token, token_type:"bot", scope,
 *   bot_user_id, app_id, team:{id,name}, enterprise, authed_user, is_enterprise_install}`; errors
 *   `invalid_client_id`, `bad_client_secret`, `invalid_code` (unknown, expired or used code),
 *   `bad_redirect_uri`.
 * - `POST /api/apps.uninstall` (client_id, client_secret, token): `{ok:true}`, then the workspace
 *   sends `app_uninstalled`.
 * - Every other `POST /api/<method>`: routed by its bot token to the workspace's own emulator. A
 *   revoked token answers `token_revoked`, an unknown one `invalid_auth`, as Slack does.
 * Each installation gets a fresh token, so a token from before an uninstall stays dead.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { readBody, sendJson as sendJsonAs } from '../shared/http.ts';
import type { SlackEmulator } from './index.ts';

const sendJson = (res: http.ServerResponse, status: number, body: unknown) => sendJsonAs(res, status, body, {}, 'application/json; charset=utf-8');

export interface AuthorizeRequest { clientId: string | null; scope: string | null; redirectUri: string | null; state: string | null }
export type Decision = { teamId: string } | 'deny';

interface Grant { teamId: string; redirectUri: string; expiresAt: number; used: boolean }
interface Issued { teamId: string; revoked: boolean }

export interface SlackAppEmulatorOptions {
  clientId: string;
  clientSecret: string;
  /** Each workspace, an emulator of its own (same signing secret: one app). */
  workspaces: SlackEmulator[];
}

export class SlackAppEmulator {
  readonly url: string;
  readonly apiUrl: string;
  readonly authorizeUrl: string;
  /** Every authorize page visit, in order. */
  readonly authorizeRequests: AuthorizeRequest[] = [];
  /** Every oauth.v2.access call's outcome. */
  readonly exchanges: Array<{ ok: boolean; error?: string; teamId?: string }> = [];
  /** Who approves the next visit: a workspace, or Cancel. Default: the first workspace. */
  decide: (req: AuthorizeRequest) => Decision;

  private readonly grants = new Map<string, Grant>();
  private readonly tokens = new Map<string, Issued>();

  private constructor(private readonly server: http.Server, private readonly opts: SlackAppEmulatorOptions, port: number) {
    this.url = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.url}/api/`;
    this.authorizeUrl = `${this.url}/oauth/v2/authorize`;
    const first = opts.workspaces[0];
    if (!first) throw new Error('at least one workspace');
    this.decide = () => ({ teamId: first.teamId });
  }

  static async start(opts: SlackAppEmulatorOptions): Promise<SlackAppEmulator> {
    const ref: { emu?: SlackAppEmulator } = {};
    const server = http.createServer((req, res) => {
      ref.emu?.handle(req, res).catch(() => { if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' }); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ref.emu = new SlackAppEmulator(server, opts, (server.address() as AddressInfo).port);
    return ref.emu;
  }

  workspace(teamId: string): SlackEmulator {
    const w = this.opts.workspaces.find((x) => x.teamId === teamId);
    if (!w) throw new Error(`no workspace ${teamId}`);
    return w;
  }

  /** The tokens issued to a workspace, oldest first (for "is it stored in the clear?" checks). */
  tokensOf(teamId: string): string[] {
    return [...this.tokens].filter(([, t]) => t.teamId === teamId).map(([token]) => token);
  }

  /** Someone removed the app from the workspace: its tokens die, then `app_uninstalled` is sent. */
  async uninstall(teamId: string): Promise<void> {
    for (const t of this.tokens.values()) if (t.teamId === teamId) t.revoked = true;
    await this.workspace(teamId).sendEvent({ type: 'app_uninstalled' });
  }

  /**
   * The bot token was revoked (not the whole app): `tokens_revoked` names the bot user. With
   * `notify: false` the event is not sent (the app is unsubscribed, or the delivery was lost).
   */
  async revokeTokens(teamId: string, opts: { notify?: boolean } = {}): Promise<void> {
    for (const t of this.tokens.values()) if (t.teamId === teamId) t.revoked = true;
    if (opts.notify === false) return;
    const w = this.workspace(teamId);
    await w.sendEvent({ type: 'tokens_revoked', tokens: { bot: [w.botUserId] } });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'GET' && url.pathname === '/oauth/v2/authorize') return this.authorize(url, res);
    if (url.pathname.startsWith('/api/')) return this.api(req, res, url.pathname.slice('/api/'.length));
    sendJson(res, 404, { ok: false, error: 'not_found' });
  }

  private authorize(url: URL, res: http.ServerResponse): void {
    const q = url.searchParams;
    const request: AuthorizeRequest = { clientId: q.get('client_id'), scope: q.get('scope'), redirectUri: q.get('redirect_uri'), state: q.get('state') };
    this.authorizeRequests.push(request);
    // Slack shows an error page (no redirect) for an unknown app or a missing redirect.
    if (request.clientId !== this.opts.clientId || !request.redirectUri) {
      res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' }).end('<p>Invalid client_id parameter</p>');
      return;
    }
    const back = new URL(request.redirectUri);
    const decision = this.decide(request);
    if (decision === 'deny') {
      back.searchParams.set('error', 'access_denied');
    } else {
      const code = `${randomDigits(12)}.${randomDigits(12)}.${randomBytes(32).toString('hex')}`;
      this.grants.set(code, { teamId: decision.teamId, redirectUri: request.redirectUri, expiresAt: Date.now() + 600_000, used: false });
      back.searchParams.set('code', code);
    }
    if (request.state !== null) back.searchParams.set('state', request.state);
    res.writeHead(302, { Location: back.toString() }).end();
  }

  private async api(req: http.IncomingMessage, res: http.ServerResponse, method: string): Promise<void> {
    const raw = await readBody(req);
    const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim();
    const args: Record<string, string> = type === 'application/json'
      ? Object.fromEntries(Object.entries(JSON.parse(raw || '{}') as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
      : Object.fromEntries(new URLSearchParams(raw));
    const auth = String(req.headers.authorization ?? '');
    if (/^Basic /i.test(auth)) {
      const [id, secret] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      args.client_id ??= id ?? '';
      args.client_secret ??= secret ?? '';
    }
    if (method === 'oauth.v2.access') return this.access(args, res);
    const token = /^Bearer /i.test(auth) ? auth.slice(7).trim() : args.token;
    if (!token) return sendJson(res, 200, { ok: false, error: 'not_authed' });
    const issued = this.tokens.get(token);
    if (!issued) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
    if (issued.revoked) return sendJson(res, 200, { ok: false, error: 'token_revoked' });
    if (method === 'apps.uninstall') {
      if (args.client_id !== this.opts.clientId || args.client_secret !== this.opts.clientSecret) return sendJson(res, 200, { ok: false, error: 'invalid_client_id' });
      sendJson(res, 200, { ok: true });
      await this.uninstall(issued.teamId);
      return;
    }
    // The workspace's own emulator answers, with the token it knows.
    const workspace = this.workspace(issued.teamId);
    const forwarded = await fetch(`${workspace.apiUrl}${method}`, {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type'] ?? 'application/x-www-form-urlencoded'), authorization: `Bearer ${workspace.botToken}` },
      body: raw,
    });
    const text = await forwarded.text();
    const headers: Record<string, string> = { 'Content-Type': forwarded.headers.get('content-type') ?? 'application/json' };
    const retryAfter = forwarded.headers.get('retry-after');
    if (retryAfter) headers['Retry-After'] = retryAfter;
    res.writeHead(forwarded.status, headers).end(text);
  }

  private access(args: Record<string, string>, res: http.ServerResponse): void {
    const fail = (error: string) => {
      this.exchanges.push({ ok: false, error });
      sendJson(res, 200, { ok: false, error });
    };
    if (args.client_id !== this.opts.clientId) return fail('invalid_client_id');
    if (args.client_secret !== this.opts.clientSecret) return fail('bad_client_secret');
    const grant = args.code ? this.grants.get(args.code) : undefined;
    if (!grant || grant.used || grant.expiresAt < Date.now()) return fail('invalid_code');
    if (args.redirect_uri !== grant.redirectUri) return fail('bad_redirect_uri');
    grant.used = true;
    const workspace = this.workspace(grant.teamId);
    const token = `xoxb-${randomDigits(12)}-${randomDigits(13)}-${randomBytes(12).toString('base64url')}`;
    this.tokens.set(token, { teamId: grant.teamId, revoked: false });
    this.exchanges.push({ ok: true, teamId: grant.teamId });
    sendJson(res, 200, {
      ok: true, app_id: workspace.appId, authed_user: { id: 'U0INSTALLER' }, scope: 'chat:write,channels:history,groups:history,users:read,channels:read,groups:read,commands',
      token_type: 'bot', access_token: token, bot_user_id: workspace.botUserId,
      team: { id: workspace.teamId, name: workspace.teamName }, enterprise: null, is_enterprise_install: false,
    });
  }
}

function randomDigits(n: number): string {
  let out = '';
  for (const b of randomBytes(n)) out += String(b % 10);
  return out;
}

export function startSlackAppEmulator(opts: SlackAppEmulatorOptions): Promise<SlackAppEmulator> {
  return SlackAppEmulator.start(opts);
}
