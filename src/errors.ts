/**
 * Coded errors. Every refusal a client sees is `{error: {code, message}}` with a fixed message
 * chosen here, so no input and no stack trace is ever echoed back.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const errors = {
  badRequest: (code: string, message: string) => new AppError(code, 400, message),
  unauthorized: () => new AppError('unauthorized', 401, 'Unauthorized'),
  notFound: (what = 'Resource') => new AppError('not_found', 404, `${what} not found`),
  tooLarge: () => new AppError('payload_too_large', 413, 'Request body is too large'),
  rateLimited: () => new AppError('rate_limited', 429, 'Too many requests; slow down'),
  unavailable: () => new AppError('unavailable', 503, 'Service is starting or stopping'),
};

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}
