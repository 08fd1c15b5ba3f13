/**
 * Bedside's own SMTP listener (smtp-server), for a practice that forwards its mailbox to it or
 * points an MX record at it. It takes mail only for the practice's address (no relay), announces
 * its size limit in EHLO and refuses a larger message with 552 while it streams in, without
 * keeping it. A message is answered 250 only once it is stored: a 4xx makes the sender try again,
 * so nothing is lost; a 5xx is final.
 */
import { readFileSync } from 'node:fs';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../../log.ts';
import { isPracticeRecipient } from './headers.ts';
import { EmailRefused, EmailUnavailable, type EmailInbound } from './inbound.ts';
import { MalformedEmailError, parseRawEmail } from './parse.ts';

export interface SmtpListenerOptions {
  host: string;
  port: number;
  maxBytes: number;
  practiceAddress: string;
  inbound: EmailInbound;
  log: Logger;
  /** PEM key and certificate for STARTTLS; smtp-server's built-in self-signed one otherwise. */
  tls?: { keyFile: string; certFile: string } | undefined;
  /** The name in the greeting; the practice's mail domain by default. */
  name?: string;
}

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export class SmtpListener {
  private server: SMTPServer | undefined;

  constructor(private readonly options: SmtpListenerOptions) {}

  async start(): Promise<{ host: string; port: number }> {
    const o = this.options;
    const server = new SMTPServer({
      name: o.name ?? o.practiceAddress.split('@')[1],
      banner: 'Bedside',
      ...(o.tls ? { key: readFileSync(o.tls.keyFile), cert: readFileSync(o.tls.certFile) } : {}),
      size: o.maxBytes,
      rejectOversized: true,
      // Inbound MX: senders do not authenticate. Mail for anyone but the practice is refused below.
      authOptional: true,
      disabledCommands: ['AUTH'],
      logger: false,
      maxClients: 50,
      socketTimeout: 60_000,
      closeTimeout: 5_000,
      onRcptTo: (address, _session, callback) => {
        if (isPracticeRecipient(address.address, o.practiceAddress)) return callback();
        callback(smtpError(550, '5.1.1 Mailbox unavailable: relaying denied'));
      },
      onData: (stream, session, callback) => { this.onData(stream, session, callback); },
    });
    // A client's broken connection must never take the process down.
    server.on('error', (err: Error & { code?: string }) => { o.log.warn({ code: err.code }, 'smtp connection error'); });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.server.address();
    return { host: o.host, port: typeof address === 'object' && address ? address.port : o.port };
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // Past the limit the rest is read and dropped: smtp-server then answers 552 itself.
      if (bytes <= this.options.maxBytes) chunks.push(chunk);
    });
    stream.on('error', () => callback(smtpError(451, '4.3.0 Error reading the message')));
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        this.options.log.info({ bytes }, 'smtp message over the size limit refused');
        callback(smtpError(552, '5.3.4 Message too big'));
        return;
      }
      const mailFrom = session.envelope.mailFrom;
      const envelopeFrom = mailFrom === false ? undefined : (mailFrom.address ?? '').toLowerCase();
      void this.store(Buffer.concat(chunks), envelopeFrom).then(() => callback(), (err: Error) => callback(err));
    });
  }

  private async store(raw: Buffer, envelopeFrom: string | undefined): Promise<void> {
    try {
      const mail = await parseRawEmail(raw, envelopeFrom);
      await this.options.inbound.receive(mail);
    } catch (err) {
      if (err instanceof MalformedEmailError) throw smtpError(554, '5.6.0 Message could not be parsed');
      if (err instanceof EmailRefused) throw smtpError(550, '5.1.7 Sender address missing or invalid');
      if (err instanceof EmailUnavailable) throw smtpError(451, '4.3.2 Not accepting mail yet, try again later');
      this.options.log.error({ err: { name: (err as Error).name } }, 'smtp message could not be stored');
      throw smtpError(451, '4.3.0 Temporary failure, try again later');
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
