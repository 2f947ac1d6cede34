import { createHmac } from 'node:crypto';
import type { ServerConfig } from '../config.js';

/**
 * GET /voip/turnServer: short-lived TURN credentials in the shared-secret scheme TURN servers
 * (coturn --use-auth-secret) check: username "<expiry seconds>:<user id>", password
 * base64(HMAC-SHA1(secret, username)) with padding. {} when no TURN server is configured.
 */
export function turnCredentials(turn: ServerConfig['turn'], userId: string, now: number): Record<string, unknown> {
  if (!turn) return {};
  const username = `${Math.floor((now + turn.userLifetimeMs) / 1000)}:${userId}`;
  const password = createHmac('sha1', turn.sharedSecret).update(username).digest('base64');
  return { username, password, ttl: Math.floor(turn.userLifetimeMs / 1000), uris: turn.uris };
}
