// m.room.member rules M0-M6 (auth-rules-and-state.md §2), with the v0.11 additions:
// invite rejection, m.federate on the target, and knock/unknown memberships refused.
import { forbid, invalid } from './auth-errors.js';
import { serverOf } from './ids.js';
import { namedLevel, userPowerLevel } from './power-levels.js';
import { contentOf, refIds, stateKey, type JsonObject, type StateMap } from './types.js';

const CREATE_KEY = stateKey('m.room.create', '');
const JOIN_RULES_KEY = stateKey('m.room.join_rules', '');

interface MemberCtx {
  event: JsonObject;
  auth: StateMap<JsonObject>;
  sender: string;
  target: string;
  membership: string;
}

function membershipOf(userId: string, auth: StateMap<JsonObject>): unknown {
  return contentOf(auth.get(stateKey('m.room.member', userId))).membership;
}

export function checkMembership(event: JsonObject, auth: StateMap<JsonObject>, sender: string): void {
  const membership = contentOf(event).membership;
  const target = event.state_key;
  if (typeof membership !== 'string') throw invalid('Member event has no membership');
  if (typeof target !== 'string') throw invalid('Member event has no state_key');
  const ctx: MemberCtx = { event, auth, sender, target, membership };

  if (isCreatorsFirstJoin(ctx)) return;
  checkTargetFederates(ctx);

  const callerMembership = membershipOf(sender, auth);
  if (membership !== 'join' && callerMembership !== 'join') {
    // v0.11: an invited user may reject the invite by leaving.
    if (callerMembership === 'invite' && membership === 'leave' && target === sender) return;
    throw forbid(`${sender} not in room ${String(event.room_id)}`);
  }
  switch (membership) {
    case 'invite':
      return checkInvite(ctx);
    case 'join':
      return checkJoin(ctx, callerMembership);
    case 'leave':
      return checkLeave(ctx);
    case 'ban':
      return checkBan(ctx);
    default:
      throw forbid(`Unknown membership ${JSON.stringify(membership)}`);
  }
}

/** M0: the creator's join straight after the create event needs nothing else. */
function isCreatorsFirstJoin({ event, auth, target, membership }: MemberCtx): boolean {
  if (membership !== 'join') return false;
  const create = auth.get(CREATE_KEY);
  const prev = Array.isArray(event.prev_events) ? event.prev_events : [];
  if (!create || prev.length !== 1) return false;
  return refIds(prev)[0] === create.event_id && contentOf(create).creator === target;
}

function checkTargetFederates({ event, auth, target }: MemberCtx): void {
  const create = auth.get(CREATE_KEY);
  if (contentOf(create)['m.federate'] !== false) return;
  if (domainOf(event.room_id) !== domainOf(target)) throw forbid('This room has been marked as unfederatable.');
}

function domainOf(id: unknown): string | undefined {
  return typeof id === 'string' && id.includes(':') ? serverOf(id) : undefined;
}

function checkInvite({ auth, sender, target }: MemberCtx): void {
  const targetMembership = membershipOf(target, auth);
  if (targetMembership === 'ban') throw forbid(`${target} is banned from the room`);
  if (targetMembership === 'join') throw forbid(`${target} is already in the room.`);
  if (userPowerLevel(sender, auth) < namedLevel('invite', 0, auth)) {
    throw forbid(`You cannot invite user ${target}.`);
  }
}

function checkJoin({ auth, sender, target }: MemberCtx, callerMembership: unknown): void {
  if (sender !== target) throw forbid('Cannot force another user to join.');
  if (membershipOf(target, auth) === 'ban') throw forbid('You are banned from this room');
  const rule = contentOf(auth.get(JOIN_RULES_KEY)).join_rule ?? 'invite';
  if (rule === 'public') return;
  if (rule === 'invite') {
    if (callerMembership === 'join' || callerMembership === 'invite') return;
    throw forbid('You are not invited to this room.');
  }
  throw forbid('You are not allowed to join this room');
}

function checkLeave({ auth, sender, target }: MemberCtx): void {
  const userLevel = userPowerLevel(sender, auth);
  // Un-banning is a leave on a banned user. As in 0.10's if/elif it needs ban level and
  // then, like any leave of somebody else, the kick check too.
  if (membershipOf(target, auth) === 'ban' && userLevel < namedLevel('ban', 50, auth)) {
    throw forbid(`You cannot unban user ${target}.`);
  }
  if (target === sender) return;
  if (userLevel < namedLevel('kick', 50, auth) || userLevel <= userPowerLevel(target, auth)) {
    throw forbid(`You cannot kick user ${target}.`);
  }
}

function checkBan({ auth, sender, target }: MemberCtx): void {
  const userLevel = userPowerLevel(sender, auth);
  if (userLevel < namedLevel('ban', 50, auth) || userLevel <= userPowerLevel(target, auth)) {
    throw forbid("You don't have permission to ban");
  }
}
