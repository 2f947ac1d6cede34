// Key server v2 (and the obsolete v1): our keys, and the notary query. Logic in federation/key-server.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Api } from './api.js';

type P = Record<string, string>;

export async function keyRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const keys = api.keyServer;

  // GET /_matrix/key/v2/server[/{keyId}] — the keyId is only a hint: all current keys are returned.
  app.get('/_matrix/key/v2/server', async () => keys.serverKeys());
  app.get('/_matrix/key/v2/server/:keyId', async () => keys.serverKeys());

  // GET /_matrix/key/v1/ — the obsolete v1 key server, still fetched by 2015 peers as a fallback.
  app.get('/_matrix/key/v1', async () => keys.v1Keys());

  // POST /_matrix/key/v2/query {"server_keys": {...}} — notary answers from our cache.
  app.post('/_matrix/key/v2/query', async (req) => keys.query((req.body as Record<string, unknown> | undefined)?.server_keys));

  // GET /_matrix/key/v2/query/{serverName}[/{keyId}]?minimum_valid_until_ts=
  const queryOne = async (req: FastifyRequest) => {
    const { serverName, keyId } = req.params as P;
    return keys.queryOne(serverName, keyId, (req.query as Record<string, unknown>).minimum_valid_until_ts);
  };
  app.get('/_matrix/key/v2/query/:serverName', queryOne);
  app.get('/_matrix/key/v2/query/:serverName/:keyId', queryOne);
}
