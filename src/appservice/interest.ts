// Which services an event goes to (appservice.md §3.3).
import type { Storage } from '../storage/index.js';
import type { Pdu } from '../events/index.js';
import type { AppServiceRegistry } from './registry.js';
import type { AppService } from './registration.js';

export function interestedServices(storage: Storage, registry: AppServiceRegistry, pdu: Pdu): AppService[] {
  const services = registry.all();
  if (services.length === 0) return [];
  let members: readonly string[] | undefined;
  let aliases: string[] | undefined;
  return services.filter((s) => {
    if (registry.ownsUser(s, pdu.sender)) return true;
    if (pdu.type === 'm.room.member' && pdu.state_key && registry.ownsUser(s, pdu.state_key)) return true;
    if (registry.ownsRoom(s, pdu.room_id)) return true;
    aliases ??= storage.rooms.aliasesForRoom(pdu.room_id);
    if (aliases.some((a) => registry.ownsAlias(s, a))) return true;
    members ??= storage.state.membersWith(pdu.room_id, 'join');
    return members.some((u) => registry.ownsUser(s, u));
  });
}
