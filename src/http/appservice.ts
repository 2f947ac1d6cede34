import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Homeserver } from '../homeserver.js';
import { MatrixError, forbidden } from '../errors.js';
import { parseRegistration } from '../appservice/registration.js';
import { legacyToRegistration } from '../appservice/index.js';
import { ConfigError } from '../config.js';

export async function appserviceRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  // POST /_matrix/appservice/v1/register {"as_token", "url", "namespaces"} — the early-2015 way,
  // only when the config enables it (it lets anyone who can reach the server claim namespaces).
  app.post('/_matrix/appservice/v1/register', async (req) => {
    if (!hs.config.appservice.enableLegacyHttpRegistration) {
      throw forbidden('Registering application services over HTTP is disabled; list a registration file in app_service_config_files');
    }
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b.as_token !== 'string' || typeof b.url !== 'string') throw new MatrixError(400, 'M_BAD_JSON', "Expected string 'as_token' and 'url'");
    const namespaces = b.namespaces ?? {};
    if (typeof namespaces !== 'object' || Array.isArray(namespaces)) throw new MatrixError(400, 'M_BAD_JSON', "'namespaces' must be an object");
    const hsToken = randomBytes(32).toString('hex');
    try {
      // Validated like a registration file; a bad regex or a clash is the caller's mistake.
      const raw = legacyToRegistration(b.as_token, hsToken, b.url, namespaces as Record<string, unknown>);
      hs.appservices.add(parseRegistration(raw, 'legacy HTTP registration'));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new MatrixError(400, 'M_UNKNOWN', e.message.replace(/^legacy HTTP registration: /, ''));
    }
    hs.storage.appservice.addLegacyRegistration(b.as_token, hsToken, b.url, JSON.stringify(namespaces), hs.clock());
    return { hs_token: hsToken };
  });
}
