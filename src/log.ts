/**
 * PHI-free structured logging. Anything that can carry patient data or a secret is redacted by
 * path before it is written; call sites log ids and counts, never content.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Field names that may hold PHI or credentials, at any of the first three levels of a log object. */
const SENSITIVE = [
  'body', 'text', 'message_text', 'name', 'displayName', 'display_name', 'real_name', 'email', 'phone',
  'profile', 'token', 'visitorToken', 'authorization', 'cookie', 'secret', 'password', 'payload', 'blocks',
];
export const REDACT_PATHS = [
  ...SENSITIVE,
  ...SENSITIVE.map((k) => `*.${k}`),
  ...SENSITIVE.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'req.headers["x-twilio-signature"]',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'bedside' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        err: pino.stdSerializers.err,
        // URLs may carry query strings: keep only the path.
        req: (req: { method?: string; url?: string; id?: string }) => ({
          method: req.method,
          path: (req.url ?? '').split('?')[0],
          id: req.id,
        }),
      },
    },
    destination,
  );
}
