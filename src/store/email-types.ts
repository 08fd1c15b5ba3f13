/** Store contract for e-mail threading and single-use webhook tokens (see migration 009). */

export interface EmailThreadEntry {
  /** The Message-ID as it goes into In-Reply-To / References, with its angle brackets. */
  header: string;
  direction: 'in' | 'out';
  subject: string | null;
  messageId: number | null;
}

export interface EmailStoreOps {
  /** Remembers a Message-ID of a conversation; a second call with the same Message-ID is a no-op. */
  recordMessageId(orgId: string, conversationId: string, entry: EmailThreadEntry, now: number): Promise<void>;
  /** The conversation (and Bedside message) that any of these Message-IDs belongs to; the newest match. */
  findByMessageIds(orgId: string, headers: string[]): Promise<{ conversationId: string; messageId: number | null; direction: 'in' | 'out' } | undefined>;
  /** A conversation's Message-IDs, oldest first. */
  thread(orgId: string, conversationId: string): Promise<EmailThreadEntry[]>;
  /** Marks a webhook token used; false when it already was (a replay). */
  useWebhookToken(tokenHash: string, now: number): Promise<boolean>;
  /** Processing failed: the sender's retry, signed with the same token, must be accepted. */
  releaseWebhookToken(tokenHash: string): Promise<void>;
  /** Forgets tokens older than this; their timestamps are stale anyway. */
  pruneWebhookTokens(before: number): Promise<void>;
}
