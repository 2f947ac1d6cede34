// What the room's rules say about an event that they refuse: a value with a reason, nothing of
// HTTP. The service edge maps it to a MatrixError (errors.ts, matrixErrorOf); the write path
// stores a remote event that fails them as rejected. Any other exception is a bug or a fault.

/** `forbidden`: the rules do not allow it; `malformed`: the rules cannot read it; `too_large`: over the v0.11 limits. */
export type AuthFailureReason = 'forbidden' | 'malformed' | 'too_large';

/** An event the room's rules refuse. */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    readonly reason: AuthFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** Size limits of v0.11 (events-and-crypto.md §3.3). */
export class EventTooLargeError extends AuthError {
  override name = 'EventTooLargeError';
  constructor(message: string) {
    super('too_large', message);
  }
}

export const forbid = (message: string): AuthError => new AuthError('forbidden', message);
export const invalid = (message: string): AuthError => new AuthError('malformed', message);
