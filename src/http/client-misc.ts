import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { MatrixError } from '../errors.js';
import { turnCredentials } from '../accounts/turn.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

type P = Record<string, string>;

export async function clientMiscRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  // GET /pushrules/ — a starting client asks for this first; any error and it never syncs
  app.get(`${V1}/pushrules`, async (req) => hs.pushRules.all(hs.auth.authenticate(req).userId));
  // GET /pushrules/global/
  app.get(`${V1}/pushrules/:scope`, async (req) => hs.pushRules.scope(hs.auth.authenticate(req).userId, (req.params as P).scope));
  // GET /pushrules/global/{kind}/
  app.get(`${V1}/pushrules/:scope/:kind`, async (req) => {
    const p = req.params as P;
    return hs.pushRules.kind(hs.auth.authenticate(req).userId, p.scope, p.kind);
  });
  // GET /pushrules/global/{kind}/{ruleId}[/enabled|/actions]
  const getRule = async (req: FastifyRequest) => {
    const p = req.params as P;
    return hs.pushRules.get(hs.auth.authenticate(req).userId, p.scope, p.kind, p.ruleId, p.attr);
  };
  app.get(`${V1}/pushrules/:scope/:kind/:ruleId`, getRule);
  app.get(`${V1}/pushrules/:scope/:kind/:ruleId/:attr`, getRule);
  // PUT /pushrules/global/{kind}/{ruleId}?before=&after= {"actions", "conditions"|"pattern"}
  app.put(`${V1}/pushrules/:scope/:kind/:ruleId`, async (req) => {
    const p = req.params as P;
    const q = req.query as Record<string, string | undefined>;
    hs.pushRules.put(hs.auth.authenticate(req).userId, p.scope, p.kind, p.ruleId, req.body, { before: q.before, after: q.after });
    return {};
  });
  // PUT /pushrules/global/{kind}/{ruleId}/enabled (true|false) or /actions {"actions": [...]}
  app.put(`${V1}/pushrules/:scope/:kind/:ruleId/:attr`, { config: { anyJsonBody: true } }, async (req) => {
    const p = req.params as P;
    hs.pushRules.setAttribute(hs.auth.authenticate(req).userId, p.scope, p.kind, p.ruleId, p.attr, req.body);
    return {};
  });
  // DELETE /pushrules/global/{kind}/{ruleId}
  app.delete(`${V1}/pushrules/:scope/:kind/:ruleId`, async (req) => {
    const p = req.params as P;
    hs.pushRules.delete(hs.auth.authenticate(req).userId, p.scope, p.kind, p.ruleId);
    return {};
  });

  // POST /pushers/set — adds (or with "kind": null removes) an HTTP pusher
  app.post(`${V1}/pushers/set`, async (req) => {
    const userId = hs.auth.authenticate(req).userId;
    const b = req.body;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new MatrixError(400, 'M_BAD_JSON', 'Body must be a JSON object');
    hs.pushers.set(userId, b as Record<string, unknown>);
    return {};
  });

  // GET /voip/turnServer — credentials for the configured TURN server, {} when there is none
  app.get(`${V1}/voip/turnServer`, async (req) => turnCredentials(hs.config.turn, hs.auth.authenticate(req).userId, hs.clock()));
}
