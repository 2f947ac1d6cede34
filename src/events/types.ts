export type JsonObject = Record<string, unknown>;

/** `[event_id, {sha256: reference_hash}]`, the 2015 form of prev_events/auth_events/prev_state. */
export type EventRef = [string, { sha256: string }];

export interface Pdu extends JsonObject {
  event_id: string;
  room_id: string;
  type: string;
  sender: string;
  content: JsonObject;
  depth: number;
  origin: string;
  origin_server_ts: number;
  prev_events: EventRef[];
  auth_events: EventRef[];
  hashes: { sha256: string };
  signatures: Record<string, Record<string, string>>;
  state_key?: string;
  prev_state?: EventRef[];
  redacts?: string;
  unsigned?: JsonObject;
}

/** Key of a state map: type and state_key joined by NUL, which neither may contain usefully. */
export type StateKey = string;

export type StateMap<T = Pdu> = Map<string, T>;

export function stateKey(type: string, stateKey: string): string {
  return type + '\u0000' + stateKey;
}

export function splitStateKey(k: string): [type: string, stateKey: string] {
  const i = k.indexOf('\u0000');
  if (i < 0) throw new Error(`Not a state map key: ${JSON.stringify(k)}`);
  return [k.slice(0, i), k.slice(i + 1)];
}

/** PDUs carry `sender`; pre-v0.6 ones carried `user_id`, accepted as a fallback. */
export function eventSender(event: JsonObject): string | undefined {
  const s = event.sender ?? event.user_id;
  return typeof s === 'string' ? s : undefined;
}

/** The event IDs of a prev_events/auth_events list, tolerating bare-string entries. */
export function refIds(refs: unknown): string[] {
  if (!Array.isArray(refs)) return [];
  const out: string[] = [];
  for (const r of refs) {
    const id = Array.isArray(r) ? r[0] : r;
    if (typeof id === 'string') out.push(id);
  }
  return out;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The event's content, or {} when missing or not an object. */
export function contentOf(event: JsonObject | undefined): JsonObject {
  const c = event?.content;
  return isJsonObject(c) ? c : {};
}
