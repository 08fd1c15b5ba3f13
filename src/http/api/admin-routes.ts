import { z } from 'zod';
import type { InboxSettings, Role } from '../../domain/types.ts';
import { newId } from '../../domain/ids.ts';
import { AppError } from '../../errors.ts';
import type { AuditTrail } from '../../features/audit.ts';
import { ROLE_RANK, type StaffAuth } from '../../features/staff-auth.ts';
import type { Store } from '../../store/types.ts';
import type { ApiRegistry } from './registry.ts';
import { staffActor } from './session-guard.ts';
import { staffAccountSchema, toStaffAccount } from './present.ts';
import { withFields } from '../../domain/with-fields.ts';

const roleSchema = z.enum(['owner', 'admin', 'agent']);
const idParams = z.object({ id: z.string().min(1).max(64) });
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);
const period = z.object({ open: hhmm, close: hhmm }).strict().refine((p) => p.open < p.close, 'open must be before close');
const day = z.array(period).max(4);

export const inboxSettingsSchema = z.object({
  greeting: z.string().trim().max(500),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  preChat: z.object({ enabled: z.boolean(), fields: z.array(z.enum(['name', 'email', 'phone'])).max(3) }).strict(),
  businessHours: z.object({
    timezone: z.string().refine((tz) => { try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true; } catch { return false; } }, 'unknown time zone'),
    days: z.object({ mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day }).strict(),
    afterHoursMessage: z.string().trim().max(1000),
  }).strict().optional(),
  slackChannelId: z.string().regex(/^[CG][A-Z0-9]{2,20}$/, 'a Slack channel id such as C0123456789').nullable().optional(),
}).strict();

export interface AdminRouteDeps {
  store: Store;
  auth: StaffAuth;
  audit: AuditTrail;
  publicUrl: string;
  slack: {
    connected: boolean; channelId: string | null; defaultContent: 'notice' | 'full';
    /** "Add to Slack" mode: the practice's own workspace (connected, disconnected, or none yet). */
    connection?: (orgId: string) => Promise<Record<string, unknown>>;
  };
}

export function adminRoutes(api: ApiRegistry, deps: AdminRouteDeps): void {
  const { store, auth, audit } = deps;

  api.route({
    method: 'GET', url: '/api/admin/users', tag: 'admin', access: 'admin', summary: 'Staff accounts of the practice',
    response: { schema: z.object({ items: z.array(staffAccountSchema) }) },
    handler: async ({ auth: a }) => ({
      // Slack-only colleagues (no e-mail) are not accounts: they cannot sign in.
      items: (await store.auth.listAccounts(a.org.id)).filter((s) => s.email).map(toStaffAccount),
    }),
  });

  api.route({
    method: 'POST', url: '/api/admin/users', tag: 'admin', access: 'admin', summary: 'Create an account and a one-time enrolment link (24 h)',
    body: z.object({ email: z.string().trim().email().max(254), role: roleSchema, displayName: z.string().trim().max(80).optional() }).strict(),
    response: { status: 201, schema: z.object({ user: staffAccountSchema, enrolmentUrl: z.string(), expiresAt: z.string() }) },
    handler: async ({ auth: a, body, ip }) => {
      const r = await auth.createAccount({ orgId: a.org.id, email: body.email, role: body.role, ...(body.displayName ? { displayName: body.displayName } : {}) }, staffActor(a, ip));
      return { user: toStaffAccount(r.account), enrolmentUrl: r.enrolmentUrl, expiresAt: new Date(r.expiresAt).toISOString() };
    },
  });

  api.route({
    method: 'PATCH', url: '/api/admin/users/:id', tag: 'admin', access: 'admin', summary: 'Change a role, or disable / enable an account',
    params: idParams,
    body: z.object({ role: roleSchema.optional(), disabled: z.boolean().optional() }).strict(),
    response: { schema: z.object({ user: staffAccountSchema }) },
    handler: async ({ auth: a, params, body, ip }) => {
      const target = await store.auth.getAccount(a.org.id, params.id);
      if (!target || !target.email) throw new AppError('not_found', 404, 'Staff member not found');
      const mine = ROLE_RANK[a.account.role];
      const denied = async (reason: string, message: string) => {
        await audit.record(store, staffActor(a, ip), 'staff.update', 'denied', { type: 'staff', id: target.id }, { reason });
        throw new AppError('forbidden', 403, message);
      };
      if (ROLE_RANK[target.role] > mine) await denied('target_above_actor', 'You cannot change an account with a higher role than your own');
      if (body.role && ROLE_RANK[body.role] > mine) await denied('role_above_actor', 'You cannot grant a higher role than your own');
      if (target.id === a.account.id && (body.disabled || (body.role && body.role !== target.role))) {
        await denied('self_change', 'Ask another administrator to change your own role or status');
      }
      if (target.role === 'owner' && (body.disabled || (body.role && body.role !== 'owner'))) {
        const owners = (await store.auth.listAccounts(a.org.id)).filter((s) => s.role === 'owner' && s.status === 'active');
        if (owners.length <= 1) throw new AppError('last_owner', 409, 'A practice needs at least one active owner');
      }
      const patch: { role?: Role; status?: 'active' | 'disabled' | 'invited' } = {};
      if (body.role) patch.role = body.role;
      if (body.disabled !== undefined) patch.status = body.disabled ? 'disabled' : (target.mfaEnrolled ? 'active' : 'invited');
      await store.transaction(async (tx) => {
        await tx.auth.updateAccount(a.org.id, target.id, patch);
        if (body.disabled) await tx.auth.revokeAllSessions(target.id, Date.now());
        await audit.record(tx, staffActor(a, ip), 'staff.update', 'success', { type: 'staff', id: target.id }, { ...patch });
      });
      return { user: toStaffAccount((await store.auth.getAccount(a.org.id, target.id))!) };
    },
  });

  api.route({
    method: 'POST', url: '/api/admin/users/:id/enrolment', tag: 'admin', access: 'admin',
    summary: 'A new enrolment link; the account sets a new password and authenticator', params: idParams,
    response: { schema: z.object({ enrolmentUrl: z.string(), expiresAt: z.string() }) },
    handler: async ({ auth: a, params, ip }) => {
      if (params.id === a.account.id) throw new AppError('forbidden', 403, 'Ask another administrator to reset your own account');
      const r = await auth.reissueEnrolment(a.org.id, params.id, staffActor(a, ip));
      return { enrolmentUrl: r.enrolmentUrl, expiresAt: new Date(r.expiresAt).toISOString() };
    },
  });

  const inboxView = (i: { id: string; name: string; channel: string; publicKey: string; settings: InboxSettings }) => ({
    id: i.id, name: i.name, channel: i.channel, publicKey: i.publicKey, settings: i.settings,
    embedSnippet: `<script src="${deps.publicUrl}/widget/loader.js" data-inbox="${i.publicKey}" data-color="${i.settings.color}" async></script>`,
  });

  api.route({
    method: 'GET', url: '/api/admin/inboxes/:id', tag: 'admin', access: 'admin', summary: 'Inbox settings and the widget embed snippet',
    params: idParams,
    handler: async ({ auth: a, params }) => {
      const inbox = await store.getInbox(a.org.id, params.id);
      if (!inbox) throw new AppError('not_found', 404, 'Inbox not found');
      return inboxView(inbox);
    },
  });

  api.route({
    method: 'PATCH', url: '/api/admin/inboxes/:id', tag: 'admin', access: 'admin', summary: 'Rename an inbox or change its widget and hours',
    params: idParams,
    body: z.object({ name: z.string().trim().min(1).max(80).optional(), settings: inboxSettingsSchema.optional() }).strict(),
    handler: async ({ auth: a, params, body, ip }) => {
      const inbox = await store.getInbox(a.org.id, params.id);
      if (!inbox) throw new AppError('not_found', 404, 'Inbox not found');
      await store.transaction(async (tx) => {
        // A form that does not show the Slack channel keeps it; null clears it.
        if (body.settings) await tx.updateInboxSettings(a.org.id, inbox.id, { slackChannelId: inbox.settings.slackChannelId, ...body.settings });
        if (body.name) await tx.renameInbox(a.org.id, inbox.id, body.name);
        await audit.record(tx, staffActor(a, ip), 'inbox.update', 'success', { type: 'inbox', id: inbox.id }, { fields: Object.keys(body) });
      });
      return inboxView((await store.getInbox(a.org.id, inbox.id))!);
    },
  });

  const slackView = async (orgId: string) => {
    const settings = (await store.getOrganization(orgId))?.settings ?? {};
    const attestation = settings.slackAttestation ?? null;
    return {
      connected: deps.slack.connected, channelId: deps.slack.channelId,
      ...(deps.slack.connection ? await deps.slack.connection(orgId) : {}),
      contentMode: settings.slackContent ?? deps.slack.defaultContent,
      attestation: attestation && { kind: attestation.kind, byStaffId: attestation.byStaffId, at: new Date(attestation.at).toISOString() },
    };
  };

  api.route({
    method: 'GET', url: '/api/admin/slack', tag: 'admin', access: 'admin', summary: 'Slack connection and content mode',
    handler: ({ auth: a }) => slackView(a.org.id),
  });

  api.route({
    method: 'PUT', url: '/api/admin/slack/content-mode', tag: 'admin', access: 'admin',
    summary: 'Notice (no PHI in Slack) or full; full needs an attestation that is recorded',
    body: z.discriminatedUnion('mode', [
      z.object({ mode: z.literal('notice') }).strict(),
      z.object({ mode: z.literal('full'), attestation: z.enum(['baa', 'no_phi']) }).strict(),
    ]),
    handler: async ({ auth: a, body, ip }) => {
      const org = await store.getOrganization(a.org.id);
      const settings = withFields(org?.settings, {
        slackContent: body.mode,
        slackAttestation: body.mode === 'full' ? { kind: body.attestation, byStaffId: a.account.id, at: Date.now() } : null,
      });
      await store.transaction(async (tx) => {
        await tx.updateOrganizationSettings(a.org.id, settings);
        await audit.record(tx, staffActor(a, ip), 'slack.content_mode', 'success', { type: 'organization', id: a.org.id },
          { mode: body.mode, ...(body.mode === 'full' ? { attestation: body.attestation } : {}) });
      });
      return slackView(a.org.id);
    },
  });

  const cannedSchema = z.object({ id: z.string(), shortcut: z.string(), title: z.string(), body: z.string() });
  const cannedBody = z.object({
    shortcut: z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lowercase letters, digits, - and _'),
    title: z.string().trim().min(1).max(80),
    body: z.string().trim().min(1).max(4000),
  }).strict();

  api.route({
    method: 'GET', url: '/api/canned-responses', tag: 'canned responses', access: 'agent', summary: 'Saved answers, inserted with /shortcut',
    response: { schema: z.object({ items: z.array(cannedSchema) }) },
    handler: async ({ auth: a }) => ({ items: (await store.inbox.listCanned(a.org.id)).map(({ orgId: _o, ...c }) => c) }),
  });

  api.route({
    method: 'POST', url: '/api/canned-responses', tag: 'canned responses', access: 'admin', summary: 'Add a saved answer',
    body: cannedBody, response: { status: 201, schema: cannedSchema },
    handler: async ({ auth: a, body, ip }) => {
      const c = { id: newId('cr'), orgId: a.org.id, ...body };
      if (!(await store.inbox.createCanned(c))) throw new AppError('shortcut_taken', 409, 'That shortcut is already used');
      await audit.record(store, staffActor(a, ip), 'canned.create', 'success', { type: 'canned_response', id: c.id });
      return { id: c.id, shortcut: c.shortcut, title: c.title, body: c.body };
    },
  });

  api.route({
    method: 'PATCH', url: '/api/canned-responses/:id', tag: 'canned responses', access: 'admin', summary: 'Change a saved answer', response: { status: 204, description: 'Done' },
    params: idParams, body: cannedBody.partial(),
    handler: async ({ auth: a, params, body, ip }) => {
      let ok: boolean;
      try {
        ok = await store.inbox.updateCanned(a.org.id, params.id, body);
      } catch {
        throw new AppError('shortcut_taken', 409, 'That shortcut is already used');
      }
      if (!ok) throw new AppError('not_found', 404, 'Saved answer not found');
      await audit.record(store, staffActor(a, ip), 'canned.update', 'success', { type: 'canned_response', id: params.id });
    },
  });

  api.route({
    method: 'DELETE', url: '/api/canned-responses/:id', tag: 'canned responses', access: 'admin', summary: 'Delete a saved answer', response: { status: 204, description: 'Done' },
    params: idParams,
    handler: async ({ auth: a, params, ip }) => {
      if (!(await store.inbox.deleteCanned(a.org.id, params.id))) throw new AppError('not_found', 404, 'Saved answer not found');
      await audit.record(store, staffActor(a, ip), 'canned.delete', 'success', { type: 'canned_response', id: params.id });
    },
  });
}
