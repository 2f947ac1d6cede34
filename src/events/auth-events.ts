// compute_auth_events (auth-rules-and-state.md §4): which current state events a new local
// event cites as its auth_events. Order follows Synapse: PL, create, join rules, member.
import { contentOf, stateKey, type JsonObject, type StateMap } from './types.js';

export interface AuthTemplate {
  type: string;
  sender: string;
  state_key?: string;
  content: JsonObject;
}

export function authEventsFor<T extends JsonObject>(template: AuthTemplate, current: StateMap<T>): T[] {
  if (template.type === 'm.room.create') return [];
  const powerLevels = current.get(stateKey('m.room.power_levels', ''));
  const create = current.get(stateKey('m.room.create', ''));
  const joinRules = current.get(stateKey('m.room.join_rules', ''));
  const member = current.get(stateKey('m.room.member', template.sender));

  const out: (T | undefined)[] = [powerLevels, create];
  if (template.type === 'm.room.member') {
    const membership = template.content.membership;
    if (membership === 'join' || membership === 'invite') out.push(joinRules);
    const isPublic = contentOf(joinRules).join_rule === 'public';
    if (membership !== 'join' || !isPublic) out.push(member);
  } else if (contentOf(member).membership === 'join') {
    out.push(member);
  }
  return out.filter((e): e is T => e !== undefined);
}
