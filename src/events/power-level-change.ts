// Rules for replacing m.room.power_levels (auth-rules-and-state.md §3.4).
import { forbid, invalid } from './auth-errors.js';
import { isValidUserId } from './ids.js';
import { powerLevelsContent, toIntLevel, userPowerLevel } from './power-levels.js';
import { contentOf, isJsonObject, type JsonObject, type StateMap } from './types.js';

const SCALAR_LEVELS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'];

export function checkPowerLevelChange(event: JsonObject, auth: StateMap<JsonObject>, sender: string): void {
  const next = contentOf(event);
  validateUsers(next.users);
  const current = powerLevelsContent(auth);
  if (!current) return; // the first PL event is unrestricted

  const senderLevel = userPowerLevel(sender, auth);
  for (const key of SCALAR_LEVELS) {
    checkLevel(levelAt(current, key), levelAt(next, key), senderLevel);
  }
  const oldUsers = mapAt(current, 'users');
  const newUsers = mapAt(next, 'users');
  for (const user of unionKeys(oldUsers, newUsers)) {
    const old = levelAt(oldUsers, user);
    // Peers at exactly your level are untouchable (yourself excepted).
    if (old !== levelAt(newUsers, user) && user !== sender && old === senderLevel) {
      throw forbid("You don't have permission to remove ops level equal to your own");
    }
    checkLevel(old, levelAt(newUsers, user), senderLevel);
  }
  const oldEvents = mapAt(current, 'events');
  const newEvents = mapAt(next, 'events');
  for (const type of unionKeys(oldEvents, newEvents)) {
    checkLevel(levelAt(oldEvents, type), levelAt(newEvents, type), senderLevel);
  }
}

function validateUsers(users: unknown): void {
  if (users === undefined) return;
  if (!isJsonObject(users)) throw invalid('Not a valid power level: users must be an object');
  for (const [user, level] of Object.entries(users)) {
    if (!isValidUserId(user)) throw invalid(`Not a valid user_id: ${user}`);
    if (toIntLevel(level) === null) throw invalid(`Not a valid power level: ${JSON.stringify(level)}`);
  }
}

/** Null (absent) compares below any number, as None did in Python 2. */
function checkLevel(old: number | null, next: number | null, senderLevel: number): void {
  if (old === next) return;
  if ((old !== null && old > senderLevel) || (next !== null && next > senderLevel)) {
    throw forbid("You don't have permission to add ops level greater than your own");
  }
}

function levelAt(obj: JsonObject, key: string): number | null {
  return Object.hasOwn(obj, key) ? toIntLevel(obj[key]) : null;
}

// 0.10 crashed on a PL event without users/events; treat missing as {}.
function mapAt(content: JsonObject, key: string): JsonObject {
  const v = content[key];
  return isJsonObject(v) ? v : {};
}

function unionKeys(a: JsonObject, b: JsonObject): Set<string> {
  return new Set([...Object.keys(a), ...Object.keys(b)]);
}
