// Refresh tokens (Synapse 0.12, v2_alpha/tokenrefresh): login hands one out; trading it in gives
// a new access token and a new refresh token, and the old refresh token stops working.
import type { Storage } from '../storage/index.js';
import type { AccountService } from './account-service.js';
import { newAccessToken, tokenHash } from './tokens.js';
import { MatrixError, forbidden } from '../errors.js';

export function issueRefreshToken(storage: Storage, userId: string, now: number): string {
  const token = newAccessToken();
  storage.refreshTokens.add(tokenHash(token), userId, now);
  return token;
}

/** POST /v2_alpha/tokenrefresh {"refresh_token": ...} -> {"access_token", "refresh_token"} */
export function refreshTokens(storage: Storage, accounts: AccountService, body: unknown, now: number): { access_token: string; refresh_token: string } {
  const token = (body as Record<string, unknown> | null)?.refresh_token;
  if (typeof token !== 'string' || token.length === 0 || token.length > 256) throw new MatrixError(400, 'M_MISSING_PARAM', "Missing 'refresh_token'");
  const userId = storage.refreshTokens.consume(tokenHash(token));
  if (!userId) throw forbidden('Did not recognize refresh token');
  return { access_token: accounts.newSession(userId).access_token, refresh_token: issueRefreshToken(storage, userId, now) };
}
