// Synapse 0.10 Auth.check with the RECOMMENDED (v0.11/v0.12) fixes:
// auth-rules-and-state.md §1-3. Throws AuthError; returning means allowed.
import { AuthError, forbid, invalid } from './auth-errors.js';
import { overlongField } from './event-size.js';
import { serverOf } from './ids.js';
import { checkMembership } from './membership-rules.js';
import { checkPowerLevelChange } from './power-level-change.js';
import { namedLevel, requiredLevelToSend, userPowerLevel } from './power-levels.js';
import { contentOf, eventSender, stateKey, type JsonObject, type StateMap } from './types.js';

export { AuthError, EventTooLargeError } from './auth-errors.js';
export { checkEventSize } from './event-size.js';
export { authEventsFor } from './auth-events.js';

const CREATE_KEY = stateKey('m.room.create', '');

/** `auth` is the state before the event (or, for outliers, its own auth_events). */
export function checkEventAuth(event: JsonObject, auth: StateMap<JsonObject>): void {
  const field = overlongField(event);
  if (field) throw invalid(`'${field}' too large`);
  if (typeof event.room_id !== 'string') throw invalid('Event has no room_id');
  if (typeof event.type !== 'string') throw invalid('Event has no type');
  const sender = eventSender(event);
  if (sender === undefined) throw invalid('Event has no sender');

  if (event.type === 'm.room.create') return;
  checkRoomExists(event, auth, sender);
  if (event.type === 'm.room.aliases') return; // 2015 "temporary hack": anyone may send it
  if (event.type === 'm.room.member') return checkMembership(event, auth, sender);

  checkSenderJoined(event, auth, sender);
  checkSendLevel(event, auth, sender);
  checkStateKeyOwnership(event, sender);
  if (event.type === 'm.room.power_levels') checkPowerLevelChange(event, auth, sender);
  if (event.type === 'm.room.redaction') checkRedaction(event, auth, sender);
}

/** Convenience for callers that prefer a boolean; any failure counts as not allowed. */
export function isEventAllowed(event: JsonObject, auth: StateMap<JsonObject>): boolean {
  try {
    checkEventAuth(event, auth);
    return true;
  } catch {
    return false;
  }
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

/** v0.12: enough power, or the redaction comes from the server that sent the original. */
function checkRedaction(event: JsonObject, auth: StateMap<JsonObject>, sender: string): void {
  if (userPowerLevel(sender, auth) >= namedLevel('redact', 50, auth)) return;
  const own = domainOf(event.event_id);
  if (own !== undefined && own === domainOf(event.redacts)) return;
  throw forbid("You don't have permission to redact events");
}

function domainOf(id: unknown): string | undefined {
  return typeof id === 'string' && id.includes(':') ? serverOf(id) : undefined;
}
