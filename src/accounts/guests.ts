// Guest access (Synapse 0.12): POST /v2_alpha/register?kind=guest gives an account with no
// password that may read world_readable rooms, join rooms whose m.room.guest_access is
// "can_join", talk in rooms it joined, and little else.
import type { Storage } from '../storage/index.js';
import { MatrixError } from '../errors.js';

export const guestForbidden = () => new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access not allowed');

// What a guest may call: [method, route pattern after the API prefix].
const GUEST_ROUTES: [string, RegExp][] = [
  ['GET', /^\/events$/],
  ['GET', /^\/events\/:eventId$/],
  ['GET', /^\/rooms\/:roomId\/(initialSync|messages|state|members)$/],
  ['GET', /^\/rooms\/:roomId\/state\/:eventType(\/:stateKey)?$/],
  ['POST', /^\/join\/:roomIdOrAlias$/],
  ['PUT', /^\/join\/:roomIdOrAlias\/:txnId$/],
  ['POST', /^\/join\/:roomIdOrAlias\/:txnId$/],
  ['POST', /^\/rooms\/:roomId\/:action(\/:txnId)?$/],
  ['PUT', /^\/rooms\/:roomId\/:action\/:txnId$/],
  ['POST', /^\/rooms\/:roomId\/send\/:eventType(\/:txnId)?$/],
  ['PUT', /^\/rooms\/:roomId\/send\/:eventType\/:txnId$/],
  ['PUT', /^\/rooms\/:roomId\/typing\/:userId$/],
  ['POST', /^\/rooms\/:roomId\/receipt\/:receiptType\/:eventId$/],
  ['GET', /^\/presence\/:userId\/status$/],
  ['PUT', /^\/presence\/:userId\/status$/],
  ['GET', /^\/profile\/:userId(\/displayname|\/avatar_url)?$/],
  ['PUT', /^\/profile\/:userId\/(displayname|avatar_url)$/],
  ['GET', /^\/sync$/],
  ['POST', /^\/user\/:userId\/filter$/],
  ['GET', /^\/user\/:userId\/filter\/:filterId$/],
  ['POST', /^\/logout$/],
];

/** Whether a guest may call this route (`url` is Fastify's route pattern, params its values). */
export function guestMayCall(method: string, url: string, params: Record<string, string>): boolean {
  const path = url.replace(/^\/_matrix\/client\/(api\/v1|v2_alpha)/, '');
  if (path === url) return false;
  if (!GUEST_ROUTES.some(([m, re]) => m === method && re.test(path))) return false;
  // Of the membership actions, a guest may only join or leave.
  if (/^\/rooms\/:roomId\/:action/.test(path) && !['join', 'leave'].includes(params.action)) return false;
  return true;
}

/** The room's m.room.guest_access is "can_join". */
export function guestsCanJoin(storage: Storage, contentOf: (eventId: string) => Record<string, unknown> | undefined, roomId: string): boolean {
  const id = storage.state.currentStateEventId(roomId, 'm.room.guest_access', '');
  return (id ? contentOf(id)?.guest_access : undefined) === 'can_join';
}
