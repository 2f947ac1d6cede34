// End-to-end keys (v2_alpha, Synapse 0.12): client routes and the two federation routes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Api } from './api.js';
import { authenticateRequest } from '../federation/request-auth.js';
import { authenticator } from './auth.js';
import { CLIENT_V2_ALPHA as V2, FEDERATION_V1 as FED } from './prefixes.js';
import { bodies } from './schemas.js';

type P = Record<string, string>;

export async function clientE2eRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const keys = api.e2eKeys;
  const authed = authenticator(api);
  const who = (req: FastifyRequest) => authed(req).userId;

  // POST /keys/upload[/{deviceId}]
  app.post(`${V2}/keys/upload`, { schema: { body: bodies.keysUpload } }, async (req) => keys.upload(who(req), undefined, req.body));
  app.post(`${V2}/keys/upload/:deviceId`, { schema: { body: bodies.keysUpload } }, async (req) => keys.upload(who(req), (req.params as P).deviceId, req.body));

  // GET /keys/upload/{deviceId} -> the one-time key counts
  app.get(`${V2}/keys/upload/:deviceId`, async (req) => keys.counts(who(req), (req.params as P).deviceId));

  // POST /keys/query {"device_keys": {...}}; GET /keys/query/{userId}[/{deviceId}]
  app.post(`${V2}/keys/query`, { schema: { body: bodies.keysQuery } }, async (req) => {
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
  app.post(`${V2}/keys/claim`, { schema: { body: bodies.keysClaim } }, async (req) => {
    who(req);
    return keys.claim(req.body);
  });

  // Federation: POST /user/keys/query and /user/keys/claim, for our own users only.
  const f = api.federation;
  if (!f) return;
  await app.register(async (fed) => {
    fed.addHook('preHandler', async (req) => {
      req.federationOrigin = await authenticateRequest(req, api.serverName, f.keyring);
    });
    fed.post(`${FED}/user/keys/query`, async (req) => keys.federationQuery(req.body));
    fed.post(`${FED}/user/keys/claim`, async (req) => keys.federationClaim(req.body));
  });
}
