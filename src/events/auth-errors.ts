/** An event the room's rules do not allow (403) or that is malformed for them (400). */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    public status: 403 | 400,
    message: string,
  ) {
    super(message);
  }
}

/** Size limits of v0.11 (events-and-crypto.md §3.3): answered with 413 M_TOO_LARGE. */
export class EventTooLargeError extends Error {
  override name = 'EventTooLargeError';
  readonly status = 413;
  readonly errcode = 'M_TOO_LARGE';
}

export const forbid = (message: string): AuthError => new AuthError(403, message);
export const invalid = (message: string): AuthError => new AuthError(400, message);
