// End-to-end keys (v2_alpha, Synapse 0.12): client routes and the two federation routes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { E2eKeys, type RemoteKeys } from '../e2e/keys.js';
import { authenticateRequest } from '../federation/request-auth.js';
import { isJsonObject, type JsonObject } from '../events/index.js';
import { CLIENT_V2_ALPHA as V2, FEDERATION_V1 as FED } from './prefixes.js';

type P = Record<string, string>;

/** Asks other servers over federation; a failing server simply contributes nothing. */
function remoteKeys(hs: Homeserver): RemoteKeys {
  const ask = async (server: string, path: string, body: JsonObject): Promise<JsonObject | null> => {
    if (!hs.federation) return null;
    try {
      const res = await hs.federation.client.requestOk(server, 'POST', `${FED}${path}`, { body });
      return isJsonObject(res.json) ? res.json : null;
    } catch (err) {
      hs.log.warn({ err, server }, 'remote e2e keys request failed');
      return null;
    }
  };
  return {
    query: (server, deviceKeys) => ask(server, '/user/keys/query', { device_keys: deviceKeys }),
    claim: (server, oneTimeKeys) => ask(server, '/user/keys/claim', { one_time_keys: oneTimeKeys }),
  };
}

export async function clientE2eRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  const keys = new E2eKeys(hs.storage, hs.serverName, remoteKeys(hs), hs.clock);
  const who = (req: FastifyRequest) => hs.auth.authenticate(req).userId;

  // POST /keys/upload[/{deviceId}]
  app.post(`${V2}/keys/upload`, async (req) => keys.upload(who(req), undefined, req.body));
  app.post(`${V2}/keys/upload/:deviceId`, async (req) => keys.upload(who(req), (req.params as P).deviceId, req.body));

  // GET /keys/upload/{deviceId} -> the one-time key counts
  app.get(`${V2}/keys/upload/:deviceId`, async (req) => keys.counts(who(req), (req.params as P).deviceId));

  // POST /keys/query {"device_keys": {...}}; GET /keys/query/{userId}[/{deviceId}]
  app.post(`${V2}/keys/query`, async (req) => {
    who(req);
    return keys.query(req.body);
  });
  app.get(`${V2}/keys/query/:userId`, async (req) => {
    who(req);
    return keys.query({ device_keys: { [(req.params as P).userId]: [] } });
  });
  app.get(`${V2}/keys/query/:userId/:deviceId`, async (req) => {
    who(req);
    const { userId, deviceId } = req.params as P;
    return keys.query({ device_keys: { [userId]: [deviceId] } });
  });

  // POST /keys/claim {"one_time_keys": {...}}
  app.post(`${V2}/keys/claim`, async (req) => {
    who(req);
    return keys.claim(req.body);
  });

  // Federation: POST /user/keys/query and /user/keys/claim, for our own users only.
  const f = hs.federation;
  if (!f) return;
  await app.register(async (fed) => {
    fed.addHook('preHandler', async (req) => {
      req.federationOrigin = await authenticateRequest(req, hs.serverName, f.keyring);
    });
    fed.post(`${FED}/user/keys/query`, async (req) => {
      const wanted = keys.parseQuery(req.body).get(hs.serverName) ?? new Map();
      return { device_keys: keys.queryLocal(wanted) };
    });
    fed.post(`${FED}/user/keys/claim`, async (req) => {
      const wanted = keys.parseClaim(req.body).get(hs.serverName) ?? new Map();
      return { one_time_keys: keys.claimLocal(wanted) };
    });
  });
}
