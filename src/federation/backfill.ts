// Pulling history we do not have from another server of the room (federation-v1.md §3.3), for
// /messages when it reaches the start of our copy of a room.
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import { topLevelArrayElements } from '../crypto/index.js';
import { serverOf } from '../events/index.js';
import { FederationClient, pathSegment } from './client.js';
import type { InboundPdus } from './inbound.js';

export class Backfiller {
  private readonly inflight = new Map<string, Promise<number>>();

  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
    private readonly log: Logger,
    private readonly client: FederationClient,
    private readonly inbound: InboundPdus,
  ) {}

  /** Fetches up to `limit` older events of the room; resolves to how many new events were stored. */
  backfill(roomId: string, limit: number): Promise<number> {
    let p = this.inflight.get(roomId);
    if (!p) {
      p = this.inbound.locks.run(roomId, () => this.run(roomId, limit)).finally(() => this.inflight.delete(roomId));
      this.inflight.set(roomId, p);
    }
    return p;
  }

  private async run(roomId: string, limit: number): Promise<number> {
    const { events } = this.storage;
    const extremities = events.backwardExtremities(roomId);
    if (extremities.length === 0) return 0;
    const servers = new Set(this.storage.state.membersWith(roomId, 'join').map(serverOf));
    servers.add(serverOf(roomId));
    servers.delete(this.serverName);
    const v = extremities.map((id) => `v=${encodeURIComponent(id)}`).join('&');
    for (const server of servers) {
      try {
        const res = await this.client.requestOk(server, 'GET', `/_matrix/federation/v1/backfill/${pathSegment(roomId)}/?${v}&limit=${limit}`);
        const checked = await this.inbound.checkAll(topLevelArrayElements(res.text, 'pdus') ?? [], roomId);
        checked.sort((a, b) => a.pdu.depth - b.pdu.depth);
        let stored = 0;
        for (const c of checked) {
          const row = events.getEvent(c.pdu.event_id);
          if (row && !row.outlier) continue;
          const ev = await this.inbound.process(server, c, { fetchMissing: false, backfilled: true });
          if (!ev.rejected) stored++;
        }
        this.closeGaps(roomId, checked.map((c) => c.pdu.event_id));
        return stored;
      } catch (err) {
        this.log.info({ server, roomId, err: (err as Error).message }, 'backfill attempt failed');
      }
    }
    return 0;
  }

  /** Extremities now in our timeline are no longer gaps; their unknown prev_events are. */
  private closeGaps(roomId: string, fetched: string[]): void {
    const { events } = this.storage;
    this.storage.transaction(() => {
      for (const id of [...events.backwardExtremities(roomId), ...fetched]) {
        const row = events.getEvent(id);
        if (!row || row.outlier) continue;
        events.removeBackwardExtremity(id);
        for (const p of events.prevEventIds(id)) {
          const prev = events.getEvent(p);
          if (!prev || prev.outlier) events.addBackwardExtremity(roomId, p);
        }
      }
    });
  }
}
