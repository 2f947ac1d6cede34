import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Api } from './api.js';
import { authenticator } from './auth.js';
import { bodies } from './schemas.js';
import { turnCredentials } from '../accounts/turn.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

type P = Record<string, string>;

export async function clientMiscRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const authed = authenticator(api);
  const who = (req: FastifyRequest) => authed(req).userId;
  // GET /pushrules/ — a starting client asks for this first; any error and it never syncs
  app.get(`${V1}/pushrules`, async (req) => api.pushRules.all(who(req)));
  // GET /pushrules/global/
  app.get(`${V1}/pushrules/:scope`, async (req) => api.pushRules.scope(who(req), (req.params as P).scope));
  // GET /pushrules/global/{kind}/
  app.get(`${V1}/pushrules/:scope/:kind`, async (req) => {
    const p = req.params as P;
    return api.pushRules.kind(who(req), p.scope, p.kind);
  });
  // GET /pushrules/global/{kind}/{ruleId}[/enabled|/actions]
  const getRule = async (req: FastifyRequest) => {
    const p = req.params as P;
    return api.pushRules.get(who(req), p.scope, p.kind, p.ruleId, p.attr);
  };
  app.get(`${V1}/pushrules/:scope/:kind/:ruleId`, getRule);
  app.get(`${V1}/pushrules/:scope/:kind/:ruleId/:attr`, getRule);
  // PUT /pushrules/global/{kind}/{ruleId}?before=&after= {"actions", "conditions"|"pattern"}
  app.put(`${V1}/pushrules/:scope/:kind/:ruleId`, { schema: { body: bodies.pushRule } }, async (req) => {
    const p = req.params as P;
    const q = req.query as Record<string, string | undefined>;
    api.pushRules.put(who(req), p.scope, p.kind, p.ruleId, req.body, { before: q.before, after: q.after });
    return {};
  });
  // PUT /pushrules/global/{kind}/{ruleId}/enabled (true|false) or /actions {"actions": [...]}
  app.put(`${V1}/pushrules/:scope/:kind/:ruleId/:attr`, { config: { anyJsonBody: true } }, async (req) => {
    const p = req.params as P;
    api.pushRules.setAttribute(who(req), p.scope, p.kind, p.ruleId, p.attr, req.body);
    return {};
  });
  // DELETE /pushrules/global/{kind}/{ruleId}
  app.delete(`${V1}/pushrules/:scope/:kind/:ruleId`, async (req) => {
    const p = req.params as P;
    api.pushRules.delete(who(req), p.scope, p.kind, p.ruleId);
    return {};
  });

  // POST /pushers/set — adds (or with "kind": null removes) an HTTP pusher
  app.post(`${V1}/pushers/set`, { schema: { body: bodies.pusher } }, async (req) => {
    api.pushers.set(who(req), req.body as Record<string, unknown>);
    return {};
  });

  // GET /voip/turnServer — credentials for the configured TURN server, {} when there is none
  app.get(`${V1}/voip/turnServer`, async (req) => turnCredentials(api.config.turn, who(req), api.clock()));
}
