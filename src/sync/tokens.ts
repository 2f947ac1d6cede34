import { badPagination } from '../errors.js';

/**
 * A position in every stream a client follows:
 * "s<room>_<presence>_<typing>_<receipt>_<account_data>" (Synapse 0.12's five streams).
 */
export interface StreamToken {
  room: number;
  presence: number;
  typing: number;
  receipt: number;
  accountData: number;
}

export function formatStreamToken(t: StreamToken): string {
  return `s${t.room}_${t.presence}_${t.typing}_${t.receipt}_${t.accountData}`;
}

/** Accepts the 5-part tokens we hand out and Synapse's older 3- and 4-part ones. */
export function parseStreamToken(s: string): StreamToken {
  const m = /^s(\d{1,15})_(\d{1,15})_(\d{1,15})(?:_(\d{1,15}))?(?:_(\d{1,15}))?$/.exec(s);
  if (!m) throw badPagination(`Invalid stream token '${s}'`);
  return { room: Number(m[1]), presence: Number(m[2]), typing: Number(m[3]), receipt: Number(m[4] ?? 0), accountData: Number(m[5] ?? 0) };
}

/** A position in a room's history for /messages: before or after (depth, stream ordering). */
export interface TopologicalToken {
  depth: number;
  stream: number;
}

export function formatTopologicalToken(t: TopologicalToken): string {
  return `t${t.depth}-${t.stream}`;
}

export function parseTopologicalToken(s: string): TopologicalToken | null {
  // Synapse's topological tokens carry the other streams after the room position ("t10000-0_0_0_0").
  const m = /^t(\d+)-(-?\d+)(?:_\d+){0,3}$/.exec(s);
  return m ? { depth: Number(m[1]), stream: Number(m[2]) } : null;
}
