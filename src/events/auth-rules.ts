// Synapse 0.10 Auth.check with the RECOMMENDED (v0.11/v0.12) fixes:
// auth-rules-and-state.md §1-3. Throws AuthError (a reason, no HTTP status); returning means allowed.
import { AuthError, forbid, invalid } from './auth-errors.js';
import { overlongField } from './event-size.js';
import { serverOf } from './ids.js';
import { checkMembership } from './membership-rules.js';
import { checkPowerLevelChange } from './power-level-change.js';
import { namedLevel, requiredLevelToSend, userPowerLevel } from './power-levels.js';
import { contentOf, eventSender, isJsonObject, stateKey, type JsonObject, type StateMap } from './types.js';

export { AuthError, EventTooLargeError } from './auth-errors.js';
export { checkEventSize } from './event-size.js';
export { authEventsFor } from './auth-events.js';

const CREATE_KEY = stateKey('m.room.create', '');

/** What the rules may know beyond the state: the event a redaction targets, when we hold it. */
export interface AuthContext {
  redacted?: JsonObject;
}

/** `auth` is the state before the event (or, for outliers, its own auth_events). */
export function checkEventAuth(event: JsonObject, auth: StateMap<JsonObject>, ctx: AuthContext = {}): void {
  const field = overlongField(event);
  if (field) throw invalid(`'${field}' too large`);
  if (typeof event.room_id !== 'string') throw invalid('Event has no room_id');
  if (typeof event.type !== 'string') throw invalid('Event has no type');
  // State is keyed by type + NUL + state_key: a NUL inside either would read as another key.
  if (event.type.includes('\u0000') || (typeof event.state_key === 'string' && event.state_key.includes('\u0000'))) {
    throw invalid('NUL in event type or state_key');
  }
  const sender = eventSender(event);
  if (sender === undefined) throw invalid('Event has no sender');

  if (event.type === 'm.room.create') return checkCreate(event, auth, sender);
  checkRoomExists(event, auth, sender);
  if (event.type === 'm.room.member') return checkMembership(event, auth, sender);
  checkSenderJoined(event, auth, sender);
  // 2015 let anyone send m.room.aliases; later rules: only a server's own key, and (here) only by a member.
  if (event.type === 'm.room.aliases') return checkAliasesKey(event, sender);
  checkSendLevel(event, auth, sender);
  checkStateKeyOwnership(event, sender);
  if (event.type === 'm.room.power_levels') checkPowerLevelChange(event, auth, sender);
  if (event.type === 'm.room.redaction') checkRedaction(event, auth, sender, ctx.redacted);
}

/** Convenience for callers that prefer a boolean: the rules' verdict; any other exception is a bug and propagates. */
export function isEventAllowed(event: JsonObject, auth: StateMap<JsonObject>, ctx: AuthContext = {}): boolean {
  try {
    checkEventAuth(event, auth, ctx);
    return true;
  } catch (e) {
    if (e instanceof AuthError) return false;
    throw e;
  }
}

/**
 * 0.10 allowed every create, so a peer could start a second room history under our room id. A
 * create is valid only as the room's first event: no prev_events, nothing before it, and sent by
 * a user of the server the room id names (only that server can sign it).
 */
function checkCreate(event: JsonObject, auth: StateMap<JsonObject>, sender: string): void {
  if (!Array.isArray(event.prev_events) || event.prev_events.length > 0) throw forbid('A create event must have no prev_events');
  if (domainOf(event.room_id) === undefined || domainOf(event.room_id) !== domainOf(sender)) {
    throw forbid("A create event must come from the room's own server");
  }
  if (auth.size > 0) throw forbid('A create event must be the first event of the room');
  if (event.state_key !== '') throw forbid('A create event must have the empty state_key');
  if (typeof contentOf(event).creator !== 'string') throw invalid('A create event needs a creator');
}

function checkRoomExists(event: JsonObject, auth: StateMap<JsonObject>, sender: string): void {
  const create = auth.get(CREATE_KEY);
  if (!create) throw forbid(`Room ${String(event.room_id)} does not exist`);
  if (contentOf(create)['m.federate'] === false && domainOf(event.room_id) !== domainOf(sender)) {
    throw forbid('This room has been marked as unfederatable.');
  }
}

function checkSenderJoined(event: JsonObject, auth: StateMap<JsonObject>, sender: string): void {
  const member = auth.get(stateKey('m.room.member', sender));
  if (contentOf(member).membership !== 'join') {
    throw forbid(`User ${sender} not in room ${String(event.room_id)}`);
  }
}

function checkSendLevel(event: JsonObject, auth: StateMap<JsonObject>, sender: string): void {
  const required = requiredLevelToSend(event.type as string, event.state_key !== undefined, auth);
  const level = userPowerLevel(sender, auth);
  if (level < required) {
    throw forbid(`You don't have permission to post that to the room. user_level (${level}) < send_level (${required})`);
  }
}

/** The intended rule (0.10 rejected all of these by a bug): "@..." keys belong to that user. */
function checkStateKeyOwnership(event: JsonObject, sender: string): void {
  const key = event.state_key;
  if (typeof key === 'string' && key.startsWith('@') && key !== sender) {
    throw forbid('You are not allowed to set others state');
  }
}

/** m.room.aliases: a server publishes its own aliases under its own name, nobody else's. */
function checkAliasesKey(event: JsonObject, sender: string): void {
  if (event.state_key !== domainOf(sender)) {
    throw forbid("m.room.aliases may only be sent with your own server's name as state_key");
  }
}

/**
 * v0.12: enough power, or an event of the redaction sender's own server. "Own server" is the
 * redacted event's sender's server when we hold that event, else the server its id names (an
 * event id's server is its origin, checked on receipt); the redaction's own id must be from
 * the sender's server too. Where the target arrives later, the persister checks it again
 * before applying the redaction.
 */
function checkRedaction(event: JsonObject, auth: StateMap<JsonObject>, sender: string, redacted?: JsonObject): void {
  if (userPowerLevel(sender, auth) >= namedLevel('redact', 50, auth)) return;
  const own = domainOf(sender);
  const target = isJsonObject(redacted) ? domainOf(eventSender(redacted)) : domainOf(event.redacts);
  if (own !== undefined && own === target && own === domainOf(event.event_id)) return;
  throw forbid("You don't have permission to redact events");
}

function domainOf(id: unknown): string | undefined {
  return typeof id === 'string' && id.includes(':') ? serverOf(id) : undefined;
}
