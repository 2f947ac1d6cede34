// When a room stops allowing guests (m.room.guest_access other than can_join, sent here or over
// federation), our guests in it leave, as Synapse 0.12 did.
import type { Storage } from '../storage/index.js';
import type { JsonObject } from '../events/index.js';
import { guestsCanJoin } from '../accounts/guests.js';
import type { AfterCommitListener } from './persist.js';

export function guestKicker(storage: Storage, serverName: string, onError: (err: unknown) => void): AfterCommitListener {
  return (ev, writer) => {
    if (ev.pdu.type !== 'm.room.guest_access' || ev.pdu.state_key !== '' || ev.rejected || ev.outlier) return;
    const roomId = ev.pdu.room_id;
    const contentOf = (id: string) => writer.loader.pdu(id)?.content as JsonObject | undefined;
    if (guestsCanJoin(storage, contentOf, roomId)) return;
    const guests = storage.state.membersWith(roomId, 'join').filter((u) => u.endsWith(`:${serverName}`) && storage.users.getUser(u)?.is_guest === 1);
    if (guests.length === 0) return undefined;
    // A local change is answered once they are committed (as Synapse kicked before answering).
    return Promise.all(guests.map((u) =>
      writer.createLocalEvent({ type: 'm.room.member', room_id: roomId, sender: u, state_key: u, content: { membership: 'leave' } }).catch(onError)));
  };
}
