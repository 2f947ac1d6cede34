import type { FastifyInstance } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { signJson } from '../crypto/index.js';

const KEY_VALIDITY_MS = 24 * 60 * 60 * 1000;

/** Our own key response, signed by our key; valid for a day, as Synapse's key_refresh_interval. */
export function localKeyResponse(hs: Homeserver): Record<string, unknown> {
  const key = hs.signingKey;
  const body = {
    old_verify_keys: {},
    server_name: hs.serverName,
    tls_fingerprints: hs.tlsFingerprints,
    valid_until_ts: hs.clock() + KEY_VALIDITY_MS,
    verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } },
  };
  return signJson(body, hs.serverName, key);
}

export async function keyRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  // GET /_matrix/key/v2/server[/{keyId}] — the keyId is only a hint: all current keys are returned.
  app.get('/_matrix/key/v2/server', async () => localKeyResponse(hs));
  app.get('/_matrix/key/v2/server/:keyId', async () => localKeyResponse(hs));
}
