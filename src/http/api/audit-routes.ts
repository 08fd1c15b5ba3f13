import { z } from 'zod';
import type { AuditTrail } from '../../features/audit.ts';
import type { Store } from '../../store/types.ts';
import type { ApiRegistry } from './registry.ts';
import { staffActor } from './session-guard.ts';

const entrySchema = z.object({
  id: z.number(), at: z.string(), actorType: z.string(), actorId: z.string().nullable(), ip: z.string().nullable(),
  action: z.string(), targetType: z.string().nullable(), targetId: z.string().nullable(), outcome: z.string(),
  details: z.record(z.string(), z.unknown()).nullable(),
});

const EXPORT_MAX = 100_000;

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  // Quote everything; neutralise spreadsheet formulas.
  return `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;
}

/** The audit trail for owners (HIPAA 164.312(b)): read, export, and check the hash chain. */
export function auditRoutes(api: ApiRegistry, { store, audit }: { store: Store; audit: AuditTrail }): void {
  const view = (e: Awaited<ReturnType<Store['audit']['list']>>[number]) => ({
    id: e.id, at: new Date(e.at).toISOString(), actorType: e.actorType, actorId: e.actorId, ip: e.ip, action: e.action,
    targetType: e.targetType, targetId: e.targetId, outcome: e.outcome, details: e.details,
  });

  api.route({
    method: 'GET', url: '/api/audit', tag: 'audit', access: 'owner', summary: 'The audit trail, newest first',
    query: z.object({ before: z.coerce.number().int().positive().optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }).strict(),
    response: { schema: z.object({ items: z.array(entrySchema), nextBefore: z.number().nullable() }) },
    handler: async ({ auth, query }) => {
      const rows = await store.audit.list(auth.org.id, query.limit, query.before);
      return { items: rows.map(view), nextBefore: rows.length === query.limit ? (rows.at(-1)?.id ?? null) : null };
    },
  });

  api.route({
    method: 'GET', url: '/api/audit/export', tag: 'audit', access: 'owner', summary: 'Download the audit trail as CSV or JSON',
    query: z.object({ format: z.enum(['csv', 'json']).default('csv') }).strict(),
    handler: async ({ auth, query, reply, ip }) => {
      const rows = (await store.audit.list(auth.org.id, EXPORT_MAX)).reverse().map(view);
      await audit.record(store, staffActor(auth, ip), 'audit.export', 'success', undefined, { format: query.format, records: rows.length });
      const name = `bedside-audit-${new Date().toISOString().slice(0, 10)}.${query.format}`;
      reply.header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store');
      if (query.format === 'json') return reply.type('application/json').send(JSON.stringify(rows, null, 2));
      const cols = ['id', 'at', 'actorType', 'actorId', 'ip', 'action', 'targetType', 'targetId', 'outcome', 'details'] as const;
      const lines = [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))];
      return reply.type('text/csv; charset=utf-8').send(`${lines.join('\r\n')}\r\n`);
    },
  });

  api.route({
    method: 'GET', url: '/api/audit/verify', tag: 'audit', access: 'owner', summary: "Check the audit trail's hash chains",
    response: { schema: z.object({ ok: z.boolean(), records: z.number(), chains: z.number(), firstBadRecord: z.number().optional(), reason: z.string().optional() }) },
    handler: async ({ auth }) => {
      const r = await store.audit.verify(auth.org.id);
      return { ok: r.ok, records: r.records, chains: r.chains, ...(r.firstBad ? { firstBadRecord: r.firstBad.id, reason: r.firstBad.reason } : {}) };
    },
  });
}
