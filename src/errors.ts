// Every error a client or peer sees is one of these: status, Matrix errcode, human text.
import type { AuthError } from './events/auth-errors.js';
export class MatrixError extends Error {
  constructor(
    public readonly status: number,
    public readonly errcode: string,
    message: string,
    public readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const badJson = (msg = 'Content not JSON.') => new MatrixError(400, 'M_BAD_JSON', msg);
export const notJson = (msg = 'Content not JSON.') => new MatrixError(400, 'M_NOT_JSON', msg);
export const forbidden = (msg = 'Forbidden') => new MatrixError(403, 'M_FORBIDDEN', msg);
export const notFound = (msg = 'Not found') => new MatrixError(404, 'M_NOT_FOUND', msg);
export const unknown = (msg: string, status = 400) => new MatrixError(status, 'M_UNKNOWN', msg);
export const missingToken = () => new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token.');
export const unknownToken = () => new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unrecognised access token.');
export const userInUse = () => new MatrixError(400, 'M_USER_IN_USE', 'User ID already taken.');
export const exclusive = (msg = 'This ID is reserved by an application service.') =>
  new MatrixError(400, 'M_EXCLUSIVE', msg);
export const tooLarge = (msg = 'Event too large') => new MatrixError(413, 'M_TOO_LARGE', msg);
/** A malformed id, server name or other parameter: refused before it is used (no lookup, no network). */
export const invalidParam = (msg: string) => new MatrixError(400, 'M_INVALID_PARAM', msg);
export const missingParam = (msg: string) => new MatrixError(400, 'M_MISSING_PARAM', msg);
export const badPagination = (msg = 'Invalid pagination token') => new MatrixError(400, 'M_BAD_PAGINATION', msg);
export const unauthorized = (msg: string, status = 401) => new MatrixError(status, 'M_UNAUTHORIZED', msg);
export const unrecognized = (msg = 'Unrecognized request', status = 404) =>
  new MatrixError(status, 'M_UNRECOGNIZED', msg);
export const limitExceeded = (retryAfterMs: number) =>
  new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too Many Requests', { retry_after_ms: retryAfterMs });

/** The room's rules refused an event (a value of the pure core): its status and errcode. */
export function matrixErrorOf(e: AuthError): MatrixError {
  switch (e.reason) {
    case 'forbidden':
      return forbidden(e.message);
    case 'too_large':
      return tooLarge(e.message);
    case 'malformed':
      return new MatrixError(400, 'M_UNKNOWN', e.message);
  }
}
