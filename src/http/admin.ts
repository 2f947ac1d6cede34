// Admin API for operators (and the web inspector built on it). Every route needs a server admin
// (config `admins:` or a user registered with "admin": true); the logic is in admin/.
import type { FastifyInstance } from 'fastify';
import type { Api } from './api.js';
import { authenticator } from './auth.js';
import { CLIENT_V1 as V1 } from './prefixes.js';
import { VERSION, SERVER_NAME_AND_VERSION } from '../version.js';

type P = Record<string, string>;
const withBodies = (q: unknown) => (q as Record<string, unknown> | undefined)?.bodies === 'true';

export async function adminRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const admin = api.admin;
  const who = authenticator(api);

  // GET / — which server this is (a person opening the base URL in a browser, a health probe)
  app.get('/', async () => ({
    server: SERVER_NAME_AND_VERSION.name,
    version: VERSION,
    server_name: api.serverName,
    client_api: `${V1}/`,
  }));

  // GET /admin/whois/{userId} — connections of each of the user's access tokens
  app.get(`${V1}/admin/whois/:userId`, async (req) => admin.whois(who(req), (req.params as P).userId));

  // GET /admin/appservices — every application service's queue and retry state
  app.get(`${V1}/admin/appservices`, async (req) => {
    admin.requireAdmin(who(req));
    return admin.appservices();
  });

  // GET /admin/appservices/{id}?bodies=true — one service, with its last 50 transaction attempts
  app.get(`${V1}/admin/appservices/:id`, async (req) => {
    admin.requireAdmin(who(req));
    return admin.appservice((req.params as P).id, withBodies(req.query));
  });

  // POST /admin/appservices/{id}/retry — send a service's queue now instead of waiting out its
  // backoff; for server admins, or the service itself (its as_token).
  app.post(`${V1}/admin/appservices/:id/retry`, async (req) => {
    const { id } = req.params as P;
    admin.checkRetry(who(req), id);
    api.appservices.retryNow(id);
    return {};
  });

  // GET /admin/federation/destinations — every server we send to: queue, in-flight txn, backoff
  app.get(`${V1}/admin/federation/destinations`, async (req) => {
    admin.requireAdmin(who(req));
    return admin.destinations();
  });

  // GET /admin/federation/destinations/{server}?bodies=true — one destination, last 50 attempts
  app.get(`${V1}/admin/federation/destinations/:server`, async (req) => {
    admin.requireAdmin(who(req));
    return admin.destination((req.params as P).server, withBodies(req.query));
  });
}
