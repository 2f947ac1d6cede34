import type { Storage } from '../storage/index.js';
import { forbidden, missingToken, unknownToken } from '../errors.js';
import { tokenHash } from './tokens.js';
import { guestMayCall, guestForbidden } from './guests.js';

/** Who is making a client API request. */
export interface Requester {
  userId: string;
  /** Scope of client txnIds: the access token (hashed). */
  tokenHash: string;
  /** Set when the request is made with an application service's as_token. */
  appserviceId: string | null;
  /** False for application services registered with rate_limited: false (and by default). */
  rateLimited: boolean;
  /** A guest account (register?kind=guest): limited to the routes guests.ts allows. */
  isGuest: boolean;
}

/** What authentication needs to know about application services (implemented in appservice/). */
export interface AppServiceTokens {
  byAsToken(token: string): AppServiceIdentity | undefined;
}

export interface AppServiceIdentity {
  id: string;
  senderUserId: string;
  rateLimited: boolean;
  /** True if the service may act as this user (its user namespaces or its sender). */
  canActAs(userId: string): boolean;
}

/** The parts of an HTTP request authentication reads (a Fastify request is one). */
export interface AuthRequest {
  readonly query: unknown;
  readonly headers: { readonly authorization?: string };
  readonly method: string;
  readonly params: unknown;
  /** The matched route's pattern, for the guest allow-list. */
  readonly routeOptions: { readonly url?: string };
}

export function accessTokenOf(req: AuthRequest): string | undefined {
  const q = (req.query as Record<string, unknown> | undefined)?.access_token;
  if (typeof q === 'string' && q !== '') return q;
  const h = req.headers.authorization;
  if (h && /^Bearer\s+/i.test(h)) return h.replace(/^Bearer\s+/i, '').trim();
  return undefined;
}

export class Authenticator {
  constructor(private readonly storage: Storage, private readonly appservices: AppServiceTokens) {}

  /** Resolves the requester or throws 401 M_MISSING_TOKEN / M_UNKNOWN_TOKEN / 403 for masquerading. */
  authenticate(req: AuthRequest): Requester {
    const token = accessTokenOf(req);
    if (!token) throw missingToken();
    const hash = tokenHash(token);
    const as = this.appservices.byAsToken(token);
    if (as) {
      const q = (req.query as Record<string, unknown> | undefined)?.user_id;
      const userId = typeof q === 'string' && q !== '' ? q : as.senderUserId;
      if (!as.canActAs(userId)) throw forbidden('Application service cannot masquerade as this user.');
      // Registered only (Synapse's later rule): virtual users are registered first, so a
      // typo or a guessed id never mints an account or an event as an unknown user.
      if (userId !== as.senderUserId && !this.storage.users.getUser(userId)) {
        throw forbidden('Application service has not registered this user.');
      }
      return { userId, tokenHash: hash, appserviceId: as.id, rateLimited: as.rateLimited, isGuest: false };
    }
    const userId = this.storage.users.userForToken(hash);
    if (!userId) throw unknownToken();
    const isGuest = this.storage.users.getUser(userId)?.is_guest === 1;
    if (isGuest && !guestMayCall(req.method, req.routeOptions.url ?? '', (req.params ?? {}) as Record<string, string>)) throw guestForbidden();
    return { userId, tokenHash: hash, appserviceId: null, rateLimited: true, isGuest };
  }
}
