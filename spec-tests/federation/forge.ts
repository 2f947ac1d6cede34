// A hostile (or merely early) peer: PDUs signed with a real server's own key, sent to another
// real server in signed transactions, and what that server's clients can then see of them.
import type { Client, TestServer } from '../helpers/server.js';
import { enc, signedRequest } from './helpers.js';
import { computeReferenceHash, hashAndSignEvent, type EventRef, type EventTemplate, type Pdu } from '../../src/events/index.js';

import { randomLetters } from '../../src/random.js';

export const F = '/_matrix/federation/v1';

/** A fresh event id in `by`'s name. */
export const newEventId = (by: TestServer): string => `$${Date.now()}${randomLetters(8)}:${by.serverName}`;

/** A PDU made and signed by `by` (a real server's key), with `fields` over a plain skeleton. */
export function forge(by: TestServer, fields: Partial<Pdu> & Record<string, unknown>): Pdu {
  const skeleton = {
    auth_events: [], content: {}, depth: 1, event_id: newEventId(by), hashes: { sha256: '' },
    origin: by.serverName, origin_server_ts: Date.now(), prev_events: [], signatures: {},
  };
  return hashAndSignEvent({ ...skeleton, ...fields, signatures: {} } as Pdu, by.serverName, by.hs.signingKey);
}

/**
 * `by`'s honest next event in the room (prev and auth events as `by` would choose them), built
 * and signed but not stored: `by` does not know it was ever made.
 */
export function honestNext(by: TestServer, template: EventTemplate): Pdu {
  return by.hs.persister.buildLocalEvent(template);
}

/** `base` altered by `fields`, with a new id (unless given), signed again by `by`. */
export function alter(by: TestServer, base: Pdu, fields: Record<string, unknown>): Pdu {
  const { signatures: _s, unsigned: _u, ...rest } = { ...base, event_id: newEventId(by), ...fields } as Pdu;
  return forge(by, rest as Pdu);
}

export const ref = (ev: Pdu): EventRef => [ev.event_id, { sha256: computeReferenceHash(ev) }];

let txnCounter = 0;
/** One signed transaction from `from` to `to`; returns its per-PDU answers. */
export async function sendPdus(from: TestServer, to: TestServer, pdus: unknown[]): Promise<Record<string, { error?: string }>> {
  const res = await signedRequest(from, to, 'PUT', `${F}/send/forged-${++txnCounter}-${Date.now()}/`, {
    body: { origin: from.serverName, origin_server_ts: Date.now(), pdus },
  });
  if (res.status !== 200) throw new Error(`transaction: ${res.status} ${res.text}`);
  return res.body.pdus;
}

/** A PDU as `server` serves it over federation (GET /event), asked by `asker`; null on 404. */
export async function fetchPdu(asker: TestServer, server: TestServer, eventId: string): Promise<Pdu | null> {
  const res = await signedRequest(asker, server, 'GET', `${F}/event/${enc(eventId)}/`);
  if (res.status === 404) return null;
  if (res.status !== 200) throw new Error(`GET /event: ${res.status} ${res.text}`);
  const { unsigned: _u, ...pdu } = res.body.pdus[0];
  return pdu as Pdu;
}

export interface Visible {
  state: any[];
  timeline: any[];
  sync: any;
}

/** Everything a client can read about the room: full state, timeline and initialSync. */
export async function visible(c: Client, roomId: string): Promise<Visible> {
  const state = await c.get(`/rooms/${enc(roomId)}/state`);
  const messages = await c.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
  const initial = await c.get('/initialSync?limit=100');
  if (state.status !== 200 || messages.status !== 200 || initial.status !== 200) {
    throw new Error(`reads failed: ${state.status} ${messages.status} ${initial.status}`);
  }
  const sync = initial.body.rooms.find((r: any) => r.room_id === roomId);
  return { state: state.body, timeline: messages.body.chunk, sync };
}

export function visibleIds(seen: Visible): Set<string> {
  return new Set([...seen.state, ...seen.timeline, ...seen.sync.state, ...seen.sync.messages.chunk].map((e: any) => e.event_id));
}

export function assertNoneVisible(t: any, seen: Visible, ids: string[], what: string): void {
  const all = visibleIds(seen);
  for (const id of ids) t.notOk(all.has(id), `${what}: ${id} is in no /state, /messages or initialSync answer`);
}
