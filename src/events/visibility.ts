// History visibility (client-api-v1.md §2.10, federation-v1.md §3.3): who may see an event, from
// the room's state at that event. One function for users and servers (Synapse 0.12's
// _filter_events_for_client and the federation handler's redact_disallowed); the callers turn
// "not visible" into omitted (clients) or pruned (servers).
import { serverOf } from './ids.js';
import { contentOf, isJsonObject, splitStateKey, stateKey, type JsonObject } from './types.js';

const HISTORY_VISIBILITY_KEY = stateKey('m.room.history_visibility', '');
const MEMBER_PREFIX = 'm.room.member\u0000';

/** The room state at an event, read by state key: a Map of events, or a lazy view over stored ids. */
export interface StateView {
  get(key: string): JsonObject | undefined;
  keys(): Iterable<string>;
}

/** Who asks. */
export type Viewer =
  | {
      user: string;
      /** True for a membership event the user has since forgotten (POST /forget): it no longer opens history. */
      forgot?: (memberEventId: string) => boolean;
    }
  /** Someone reading a room they are not in (guests, world_readable rooms): only world_readable history. */
  | { peeking: true }
  | { server: string };

/** What the rules read of the event itself. */
export interface VisibilityFacts {
  type: string;
  sender: string;
  state_key?: string | null;
  /** Only the event's own history_visibility is read (a peeker sees the event that made the room world_readable). */
  content?: JsonObject;
}

/**
 * True when `viewer` may see `event` in full. `state` is the room state before the event, or
 * null when it is not known (backfilled history without state: shared for users and servers,
 * hidden from peekers).
 */
export function isEventVisible(event: VisibilityFacts, state: StateView | null, viewer: Viewer): boolean {
  if ('server' in viewer) return visibleToServer(state, viewer.server);
  if ('peeking' in viewer) return visibleToPeeker(event, state);
  return visibleToUser(event, state, viewer.user, viewer.forgot);
}

function historyVisibility(state: StateView): unknown {
  return contentOf(state.get(HISTORY_VISIBILITY_KEY)).history_visibility;
}

/** Synapse 0.12's is_peeking: only world_readable history, including the event that made it so. */
function visibleToPeeker(event: VisibilityFacts, state: StateView | null): boolean {
  if (event.type === 'm.room.history_visibility' && event.state_key === '' && isJsonObject(event.content) && event.content.history_visibility === 'world_readable') {
    return true;
  }
  return state !== null && historyVisibility(state) === 'world_readable';
}

function visibleToUser(event: VisibilityFacts, state: StateView | null, userId: string, forgot?: (id: string) => boolean): boolean {
  if (event.type === 'm.room.history_visibility') return true;
  if (state === null) return true;
  const member = state.get(stateKey('m.room.member', userId));
  const forgotten = member !== undefined && typeof member.event_id === 'string' && forgot !== undefined && forgot(member.event_id);
  const membership = forgotten ? undefined : contentOf(member).membership;
  // A user's own join and the events they send are always theirs to see.
  if (membership === 'join' || event.sender === userId || (event.type === 'm.room.member' && event.state_key === userId)) return true;
  const visibility = historyVisibility(state) ?? 'shared';
  if (visibility === 'joined') return false;
  if (visibility === 'invited') return membership === 'invite';
  return true; // shared, public, world_readable, or unknown
}

/** With `joined`/`invited`, only a server that had a joined (or, for `invited`, invited) member then. */
function visibleToServer(state: StateView | null, server: string): boolean {
  if (state === null) return true;
  const visibility = historyVisibility(state);
  if (visibility !== 'joined' && visibility !== 'invited') return true;
  for (const key of state.keys()) {
    if (!key.startsWith(MEMBER_PREFIX)) continue;
    const [, userId] = splitStateKey(key);
    if (!userId.includes(':') || serverOf(userId) !== server) continue;
    const membership = contentOf(state.get(key)).membership;
    if (membership === 'join' || (visibility === 'invited' && membership === 'invite')) return true;
  }
  return false;
}

/** A StateView over state ids that loads each event only when it is read. */
export function lazyStateView(ids: ReadonlyMap<string, string>, load: (eventId: string) => JsonObject | undefined): StateView {
  return {
    get: (key) => {
      const id = ids.get(key);
      return id === undefined ? undefined : load(id);
    },
    keys: () => ids.keys(),
  };
}
