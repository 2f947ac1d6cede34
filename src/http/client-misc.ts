import type { FastifyInstance } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { defaultPushRules } from '../accounts/push-rules.js';
import { MatrixError } from '../errors.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

export async function clientMiscRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  // GET /pushrules/ — a starting client asks for this first; any error and it never syncs
  app.get(`${V1}/pushrules`, async (req) => defaultPushRules(hs.auth.authenticate(req).userId));
  app.get(`${V1}/pushrules/global`, async (req) => defaultPushRules(hs.auth.authenticate(req).userId).global);

  // PUT/DELETE /pushrules/{scope}/{kind}/{ruleId}: the default set is fixed on this server
  const readOnly = async () => {
    throw new MatrixError(400, 'M_UNKNOWN', 'Push rules cannot be changed on this server; the default rule set applies');
  };
  app.put(`${V1}/pushrules/:scope/:kind/:ruleId`, readOnly);
  app.delete(`${V1}/pushrules/:scope/:kind/:ruleId`, readOnly);

  // POST /pushers/set — accepted; this server has no push gateway to deliver through
  app.post(`${V1}/pushers/set`, async (req) => {
    hs.auth.authenticate(req);
    const b = (req.body ?? {}) as Record<string, unknown>;
    for (const k of ['pushkey', 'kind', 'app_id']) {
      if (typeof b[k] !== 'string') throw new MatrixError(400, 'M_MISSING_PARAM', `Missing '${k}'`);
    }
    return {};
  });

  // GET /voip/turnServer — {} when no TURN server is configured
  app.get(`${V1}/voip/turnServer`, async (req) => {
    hs.auth.authenticate(req);
    return {};
  });
}
