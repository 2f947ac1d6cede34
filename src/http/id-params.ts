// Path parameters that name ids are checked once, here, for every route of every API: a malformed
// id or server name is 400 M_INVALID_PARAM before any handler looks it up or connects anywhere.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isValidEventId, isValidRoomAlias, isValidRoomId, isValidServerName, isValidUserId } from '../events/index.js';
import { invalidParam } from '../errors.js';

type Check = (value: string, params: Record<string, string>) => boolean;

/** Route parameter name -> what it must be. Routes name their id parameters with these names. */
const ID_PARAMS: Record<string, { check: Check; what: string }> = {
  // POST /rooms/{roomId}/join also takes an alias, as /join/{roomIdOrAlias} does.
  roomId: { check: (v, p) => isValidRoomId(v) || (p.action === 'join' && isValidRoomAlias(v)), what: 'room id' },
  roomIdOrAlias: { check: (v) => isValidRoomId(v) || isValidRoomAlias(v), what: 'room id or alias' },
  alias: { check: isValidRoomAlias, what: 'room alias' },
  userId: { check: isValidUserId, what: 'user id' },
  eventId: { check: isValidEventId, what: 'event id' },
  serverName: { check: isValidServerName, what: 'server name' },
};

/** Throws 400 M_INVALID_PARAM for the first id parameter of the request that is malformed. */
export function checkIdParams(req: FastifyRequest): void {
  const params = req.params as Record<string, string> | undefined;
  if (!params) return;
  for (const name of Object.keys(params)) {
    const rule = Object.hasOwn(ID_PARAMS, name) ? ID_PARAMS[name] : undefined;
    if (rule && !rule.check(params[name]!, params)) throw invalidParam(`Invalid ${rule.what}`);
  }
}

export function registerIdParamChecks(app: FastifyInstance): void {
  // onRequest: before the body is read and before federation request authentication fetches keys.
  app.addHook('onRequest', async (req) => checkIdParams(req));
}
