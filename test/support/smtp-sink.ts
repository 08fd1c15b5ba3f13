/**
 * A real SMTP server on loopback (smtp-server) standing in for the practice's outgoing mail
 * relay: it keeps every message it accepts, parsed, and can answer the next ones with a 4xx or 5xx.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SunkMail { raw: string; parsed: ParsedMail; envelopeTo: string[] }

export interface SmtpSink {
  url: string;
  mails(): SunkMail[];
  /** Answer the next `times` messages with this code at the end of DATA. */
  failNext(code: number, times?: number): void;
  /** Messages refused so far. */
  refused(): number;
  waitFor<T>(fn: () => T | undefined | false, ms?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: SunkMail[] = [];
  const failures: number[] = [];
  let refused = 0;
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const code = failures.shift();
        if (code !== undefined) {
          refused++;
          callback(Object.assign(new Error(code >= 500 ? '5.1.1 Mailbox unavailable' : '4.7.1 Try again later'), { responseCode: code }));
          return;
        }
        const raw = Buffer.concat(chunks);
        void simpleParser(raw).then((parsed) => {
          mails.push({ raw: raw.toString('utf8'), parsed, envelopeTo: session.envelope.rcptTo.map((r) => r.address) });
          callback();
        }, (err: Error) => callback(err));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails: () => [...mails],
    failNext(code, times = 1) { for (let i = 0; i < times; i++) failures.push(code); },
    refused: () => refused,
    async waitFor(fn, ms = 8000) {
      const end = Date.now() + ms;
      for (;;) {
        const v = fn();
        if (v) return v;
        if (Date.now() > end) throw new Error('smtp sink: condition not met in time');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
