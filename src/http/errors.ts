import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { AppError, errorBody } from '../errors.ts';

/** Fastify's own client errors, mapped to stable codes with messages that echo nothing. */
const FASTIFY_CODES: Record<string, [string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'Request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'Unsupported content type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_json', 'Body is empty'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_json', 'Body is not valid JSON'],
  FST_ERR_VALIDATION: ['invalid_request', 'Request is not valid'],
};

/**
 * Errors Fastify raises before routing (a malformed URL, an over-long parameter): its default body
 * would echo the path, which can carry anything. Passed as the `frameworkErrors` option.
 */
export function frameworkErrorHandler(err: FastifyError, _req: unknown, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  void reply.code(status).send(errorBody('bad_request', 'Bad request'));
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.httpStatus >= 500) req.log.error({ err }, 'request failed');
      return reply.code(err.httpStatus).send(errorBody(err.code, err.message));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const [code, message] = FASTIFY_CODES[err.code]
        ?? (err instanceof SyntaxError ? ['invalid_json', 'Body is not valid JSON'] : ['bad_request', 'Bad request']);
      return reply.code(status).send(errorBody(code, message));
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody('internal', 'Internal error'));
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errorBody('not_found', 'Not found')));
}
