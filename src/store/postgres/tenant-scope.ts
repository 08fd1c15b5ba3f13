/**
 * Which organization a store call acts for, on PostgreSQL.
 *
 * Every call runs in a transaction that first sets `bedside.org_id` (transaction-local); the
 * row-level-security policies then show and accept only that organization's rows, so a query that
 * forgets its `org_id` filter finds nothing of another practice. The organization comes from the
 * call's own arguments: the `orgId` argument, or the `orgId` of the record being written.
 *
 * A few calls are cross-tenant by nature (a webhook or a cookie arrives before anyone knows the
 * organization; the outbox is one queue for the installation). They are listed here by name, each
 * with the reason, and run under the explicit system scope (`bedside.scope = 'system'`). Nothing
 * else may use it.
 */

export type Scope = { kind: 'org'; orgId: string } | { kind: 'system' };

export const SYSTEM_SCOPE: Scope = { kind: 'system' };

/** Cross-tenant store calls and why each one is. Keys are method paths (`auth.findSession`). */
export const SYSTEM_CALLS: Readonly<Record<string, string>> = {
  countOrganizations: 'the first start checks whether the installation has any practice',
  listOrganizations: 'the retention sweep and the command line go through every practice',
  findOrganizationBySlug: 'the command line names a practice by its slug',
  findInboxByPublicKey: 'a website widget names its inbox by public key before any organization is known',
  findFirstWebInbox: 'the demo page of a single-practice installation',
  findConversationBySlackThread: 'Slack events carry a channel and a thread, not an organization',
  findMessageByExternalId: "a vendor's status callback carries only the vendor's message id",
  'auth.findAccountByEmail': 'sign-in: one account per e-mail address across the installation',
  'auth.findEnrolmentToken': 'an enrolment link is presented before its organization is known',
  'auth.useEnrolmentToken': 'an enrolment link is presented before its organization is known',
  'auth.revokeEnrolmentTokens': 'keyed by the staff id alone',
  'auth.findSession': 'a session cookie is presented before its organization is known',
  'auth.touchSession': 'keyed by the session cookie hash alone',
  'auth.revokeSession': 'keyed by the session cookie hash alone',
  'auth.revokeAllSessions': 'keyed by the staff id alone',
  'records.findSecureLink': 'a patient opens a secure link before its organization is known',
  'records.updateSecureLink': 'keyed by the secure link token hash alone',
  claimJobs: 'the outbox is one queue for the installation, worked by every node',
  completeJob: 'the outbox is one queue for the installation',
  retryJob: 'the outbox is one queue for the installation',
  buryJob: 'the outbox is one queue for the installation',
  jobCounts: 'the health check reports the whole outbox',
  requeueDeadJobs: 'an administrator requeues the whole dead-letter queue',
  skipJob: 'the outbox is one queue for the installation',
  'email.useWebhookToken': 'a Mailgun webhook token is checked before its organization is known',
  'email.releaseWebhookToken': 'a Mailgun webhook token is checked before its organization is known',
  'email.pruneWebhookTokens': 'expired Mailgun webhook tokens of the installation are swept',
  'slack.findInstallationByTeam': 'Slack events and the OAuth callback name a workspace, not an organization',
  'slack.consumeOAuthState': 'the OAuth callback presents its state before its organization is known',
  'slack.listActiveOrgIds': 'each node learns which practices have Slack connected',
  'slack.countInstallations': 'the health check reports Slack connections of the installation',
  rewrapDataKeys: "master-key rotation re-wraps every practice's data keys",
};

type Rule = (args: readonly unknown[]) => Scope;

const org = (orgId: unknown, method: string): Scope => {
  if (typeof orgId !== 'string' || orgId === '') throw new Error(`store call ${method}: no organization to scope it to`);
  return { kind: 'org', orgId };
};

/** Calls whose organization is not simply their first argument (or its `orgId`). */
const RULES: Readonly<Record<string, Rule>> = {
  createOrganization: (a) => org((a[0] as { id?: unknown }).id, 'createOrganization'),
  // Verifying one organization's chain needs nothing else; without one, every chain is walked.
  'audit.verify': (a) => (a[0] === undefined ? SYSTEM_SCOPE : org(a[0], 'audit.verify')),
};

/**
 * Records without an organization (installation-level jobs, audit records of the command line)
 * belong to the system scope; a record with one is written in that organization's scope.
 */
const RECORD_CALLS = new Set(['enqueueJob', 'audit.append']);

export function scopeOf(method: string, args: readonly unknown[]): Scope {
  if (SYSTEM_CALLS[method] !== undefined) return SYSTEM_SCOPE;
  const rule = RULES[method];
  if (rule) return rule(args);
  const first = args[0];
  if (typeof first === 'string') return org(first, method);
  if (first !== null && typeof first === 'object' && 'orgId' in first) {
    const orgId = (first as { orgId: unknown }).orgId;
    if (orgId === null && RECORD_CALLS.has(method)) return SYSTEM_SCOPE;
    return org(orgId, method);
  }
  throw new Error(`store call ${method}: declare its tenant scope in postgres/tenant-scope.ts`);
}

/** Whether a method's scope is declared here, or follows from an `orgId` first parameter. */
export function declaredScope(method: string, firstParameter: string | undefined): boolean {
  return SYSTEM_CALLS[method] !== undefined || RULES[method] !== undefined || RECORD_CALLS.has(method)
    || firstParameter === 'orgId' || DECLARED_RECORD_CALLS.has(method);
}

/**
 * Calls whose first parameter is not named `orgId` but is the organization's id, or a record
 * carrying its `orgId` (the store tests check every method is covered one way or another).
 */
const DECLARED_RECORD_CALLS = new Set([
  'getOrganization', 'updateOrganizationSettings', 'createInbox', 'createContact', 'createConversation', 'insertMessage',
  'auth.createAccount', 'auth.createEnrolmentToken', 'auth.createSession',
  'inbox.listConversations', 'inbox.createCanned', 'records.createSecureLink',
  'attachments.insert', 'slack.saveInstallation', 'slack.createOAuthState',
]);
