import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { encodeBase64, signJson } from '../crypto/index.js';
import { notaryQuery } from '../federation/notary.js';

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

  // GET /_matrix/key/v1/ — the obsolete v1 key server, still fetched by 2015 peers as a fallback.
  app.get('/_matrix/key/v1', async () => {
    const key = hs.signingKey;
    const tls = hs.federation?.tls;
    const body: Record<string, unknown> = { server_name: hs.serverName, verify_keys: { [key.keyId]: key.publicKeyBase64 } };
    if (tls) body.tls_certificate = encodeBase64(tls.der);
    return signJson(body, hs.serverName, key);
  });

  // POST /_matrix/key/v2/query and GET /_matrix/key/v2/query/{serverName}[/{keyId}] — notary answers from our cache.
  app.post('/_matrix/key/v2/query', async (req) =>
    notaryQuery(hs, (req.body as Record<string, unknown> | undefined)?.server_keys, () => localKeyResponse(hs)));
  const queryOne = async (req: FastifyRequest) => {
    const { serverName, keyId } = req.params as Record<string, string>;
    const min = Number((req.query as Record<string, unknown>).minimum_valid_until_ts ?? 0) || 0;
    return notaryQuery(hs, { [serverName]: { [keyId ?? '*']: { minimum_valid_until_ts: min } } }, () => localKeyResponse(hs));
  };
  app.get('/_matrix/key/v2/query/:serverName', queryOne);
  app.get('/_matrix/key/v2/query/:serverName/:keyId', queryOne);
}
