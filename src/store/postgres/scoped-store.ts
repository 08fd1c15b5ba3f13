/**
 * The Store on PostgreSQL: the shared Kysely queries, each call in a transaction scoped to one
 * organization (or to the declared system scope, see tenant-scope.ts), as the application role.
 *
 * The queries themselves are the SQLite ones; only this wrapper is PostgreSQL's. It wraps the
 * methods generically (by name) so a method added to the store is scoped without being listed,
 * as long as its first argument says which organization it is for.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { KyselyStore } from '../kysely-store.ts';
import type { FieldCrypto } from '../field-crypto.ts';
import type { Database } from '../schema.ts';
import type { Store, StoreOps } from '../types.ts';
import { claimJobsSkipLocked } from './claim-jobs.ts';
import { scopeOf, SYSTEM_SCOPE, type Scope } from './tenant-scope.ts';

export interface ScopedStoreOptions {
  /** The role every transaction switches to (`SET LOCAL ROLE`); unset when the connection already is it. */
  actAs: string | undefined;
}

/** Sets the transaction's role and tenant scope in one round trip; all of it ends with the transaction. */
export async function enterScope(trx: Transaction<Database>, scope: Scope, role: string | undefined): Promise<void> {
  const orgId = scope.kind === 'org' ? scope.orgId : '';
  const kind = scope.kind === 'org' ? 'tenant' : 'system';
  if (role) {
    await sql`select set_config('role', ${role}, true), set_config('bedside.org_id', ${orgId}, true), set_config('bedside.scope', ${kind}, true)`.execute(trx);
  } else {
    await sql`select set_config('bedside.org_id', ${orgId}, true), set_config('bedside.scope', ${kind}, true)`.execute(trx);
  }
}

const scopeKey = (s: Scope) => (s.kind === 'org' ? `org:${s.orgId}` : 'system');

type Invoke = (method: string, args: unknown[], call: (ops: KyselyStore) => Promise<unknown>) => Promise<unknown>;

/** Not store operations: the bound connection, crypto and bookkeeping of the Kysely classes. */
const INTERNAL = new Set(['db', 'root', 'crypto', 'dialect', 'constructor', 'then']);

/**
 * A proxy with the shape of `template` whose every method (and every method of its sub-objects:
 * `auth`, `inbox`...) goes through `invoke` with its dotted name, to run on a freshly bound copy.
 */
function wrap<T extends object>(template: T, invoke: Invoke, overrides: Record<string, unknown> = {}, path: string[] = []): T {
  return new Proxy(template, {
    get(target, prop, receiver) {
      if (typeof prop !== 'string') return Reflect.get(target, prop, receiver) as unknown;
      if (path.length === 0 && prop in overrides) return overrides[prop];
      if (INTERNAL.has(prop)) return undefined;
      const value = Reflect.get(target, prop, receiver) as unknown;
      const name = [...path, prop].join('.');
      const pick = (ops: KyselyStore) => path.reduce<Record<string, unknown>>((o, p) => o[p] as Record<string, unknown>, ops as unknown as Record<string, unknown>);
      if (typeof value === 'function') {
        return (...args: unknown[]) => invoke(name, args, (ops) => {
          const self = pick(ops);
          return (self[prop] as (...a: unknown[]) => Promise<unknown>).apply(self, args);
        });
      }
      if (value !== null && typeof value === 'object' && path.length === 0) return wrap(value, invoke, {}, [prop]);
      return value;
    },
  });
}

export function scopedPostgresStore(root: Kysely<Database>, crypto: FieldCrypto, options: ScopedStoreOptions): Store {
  const bind = (db: Transaction<Database>) => new KyselyStore(db, 'postgres', crypto);
  // Only its shape is used (which names are methods, which are sub-objects): never its connection.
  const template = new KyselyStore(root, 'postgres', crypto);

  const inScope = <T>(scope: Scope, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
    root.transaction().execute(async (trx) => {
      await enterScope(trx, scope, options.actAs);
      return fn(trx);
    });

  /**
   * Operations inside `store.transaction`: one transaction, whose tenant scope follows each call
   * (re-set only when it changes). Calls run one after another, as they would on one connection
   * anyway, so a scope is never switched under a running query.
   */
  const transactionOps = (trx: Transaction<Database>): StoreOps => {
    const ops = bind(trx);
    let current: string | undefined;
    let queue: Promise<unknown> = Promise.resolve();
    const invoke: Invoke = (method, args, call) => {
      const scope = scopeOf(method, args);
      const run = async () => {
        if (scopeKey(scope) !== current) {
          await enterScope(trx, scope, current === undefined ? options.actAs : undefined);
          current = scopeKey(scope);
        }
        return call(ops);
      };
      const result = queue.then(run);
      queue = result.catch(() => undefined);
      return result;
    };
    return wrap(template as StoreOps, invoke);
  };

  const overrides: Partial<Store> = {
    dialect: 'postgres',
    transaction: <T>(fn: (tx: StoreOps) => Promise<T>) => root.transaction().execute((trx) => fn(transactionOps(trx))),
    claimJobs: (now, limit, leaseMs) => inScope(SYSTEM_SCOPE, (trx) => claimJobsSkipLocked(trx, crypto, now, limit, leaseMs)),
    close: () => root.destroy(),
  };
  const invoke: Invoke = (method, args, call) => inScope(scopeOf(method, args), (trx) => call(bind(trx)));
  return wrap(template as Store, invoke, overrides as Record<string, unknown>);
}
