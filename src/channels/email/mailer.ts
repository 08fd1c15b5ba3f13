/**
 * Outbound SMTP (nodemailer over SMTP_URL). Failures map onto the outbox worker's errors: a 5xx
 * answer is final, a 4xx or a connection failure is tried again. A reply that may have been
 * accepted before the connection dropped is re-sent with the same Message-ID, which receiving
 * mail systems treat as the same message.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import { AmbiguousError, PermanentError, RetryableError } from '../../jobs/errors.ts';

export interface OutboundEmail {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  /** Set on automatic mail only (RFC 3834), so auto-responders do not answer it. */
  autoSubmitted?: 'auto-generated' | 'auto-replied';
}

/** The recipient's server refused the message for good (5xx); the code says why, never content. */
export class SmtpRejectedError extends PermanentError {
  constructor(readonly responseCode: number) {
    super(`smtp rejected ${responseCode}`);
    this.name = 'SmtpRejectedError';
  }
}

export class Mailer {
  private readonly transport: Transporter;

  constructor(smtpUrl: string, timeoutMs: number) {
    this.transport = nodemailer.createTransport({
      url: smtpUrl, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
    });
  }

  async send(m: OutboundEmail): Promise<void> {
    try {
      await this.transport.sendMail({
        from: { name: m.from.name, address: m.from.address }, to: m.to, subject: m.subject, text: m.text,
        messageId: m.messageId,
        ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
        ...(m.references?.length ? { references: m.references } : {}),
        headers: m.autoSubmitted ? { 'Auto-Submitted': m.autoSubmitted } : {},
        disableFileAccess: true, disableUrlAccess: true,
      });
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; command?: string };
      if (typeof e.responseCode === 'number' && e.responseCode >= 500) throw new SmtpRejectedError(e.responseCode);
      if (typeof e.responseCode === 'number' && e.responseCode >= 400) throw new RetryableError(`smtp deferred ${e.responseCode}`);
      // The connection failed: after DATA the server may already have the message.
      if (e.command === 'DATA' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET') throw new AmbiguousError(`smtp ${e.code ?? 'failure'}`);
      throw new RetryableError(`smtp ${e.code ?? 'failure'}`);
    }
  }

  close(): void {
    this.transport.close();
  }
}
