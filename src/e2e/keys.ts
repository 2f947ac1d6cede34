// End-to-end keys, v2_alpha as in Synapse 0.12: devices upload a keys object and one-time keys;
// anyone may query a user's device keys and claim one of their one-time keys, across servers
// through /_matrix/federation/v1/user/keys/{query,claim}.
import type { Storage } from '../storage/index.js';
import type { JsonObject } from '../events/index.js';
import { isValidUserId, serverOf } from '../events/index.js';
import { MatrixError, badJson, forbidden } from '../errors.js';

const MAX_ID = 255;
const MAX_DEVICE_KEYS_BYTES = 65_536;
const MAX_ONE_TIME_KEY_BYTES = 4096;
const MAX_ONE_TIME_KEYS_PER_UPLOAD = 1000;
const MAX_USERS_PER_QUERY = 1000;
const MAX_DEVICES_PER_USER = 1000;
/** Other servers asked in one query or claim. */
const MAX_REMOTE_SERVERS = 20;

/** Federation requests for other servers' users (a no-op without federation). */
export interface RemoteKeys {
  query(server: string, deviceKeys: JsonObject): Promise<JsonObject | null>;
  claim(server: string, oneTimeKeys: JsonObject): Promise<JsonObject | null>;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkId(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid ${what}`);
  return v;
}

export class E2eKeys {
  constructor(private readonly storage: Storage, private readonly serverName: string, private readonly remote: RemoteKeys, private readonly clock: () => number) {}

  /** POST /keys/upload[/{deviceId}] {"device_keys": {...}, "one_time_keys": {"alg:id": key}} */
  upload(userId: string, pathDeviceId: string | undefined, body: unknown): JsonObject {
    if (!isObject(body)) throw badJson('Body must be a JSON object');
    const dk = body.device_keys;
    const deviceId = checkId(pathDeviceId ?? (isObject(dk) ? dk.device_id : undefined), 'device_id');
    if (dk !== undefined) {
      if (!isObject(dk)) throw badJson("'device_keys' must be an object");
      if (dk.user_id !== userId) throw forbidden('device_keys.user_id must be your own user id');
      if (dk.device_id !== deviceId) throw new MatrixError(400, 'M_INVALID_PARAM', 'device_keys.device_id does not match the device');
      // Stored as parsed: signatures are over canonical JSON, which the re-serialisation keeps.
      const json = JSON.stringify(dk);
      if (Buffer.byteLength(json) > MAX_DEVICE_KEYS_BYTES) throw new MatrixError(413, 'M_TOO_LARGE', 'device_keys too large');
      this.storage.e2eKeys.setDeviceKeys(userId, deviceId, json, this.clock());
    }
    const otk = body.one_time_keys;
    if (otk !== undefined) {
      if (!isObject(otk)) throw badJson("'one_time_keys' must be an object");
      const entries = Object.entries(otk);
      if (entries.length > MAX_ONE_TIME_KEYS_PER_UPLOAD) throw new MatrixError(400, 'M_LIMIT_EXCEEDED', 'Too many one-time keys');
      const keys = entries.map(([k, v]) => {
        const i = k.indexOf(':');
        if (i <= 0 || i === k.length - 1 || k.length > MAX_ID) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid one-time key id '${k.slice(0, 64)}'`);
        const json = JSON.stringify(v);
        if (json === undefined || Buffer.byteLength(json) > MAX_ONE_TIME_KEY_BYTES) throw new MatrixError(400, 'M_INVALID_PARAM', 'One-time key too large');
        return { algorithm: k.slice(0, i), keyId: k.slice(i + 1), json };
      });
      this.storage.e2eKeys.addOneTimeKeys(userId, deviceId, keys, this.clock());
    }
    return this.counts(userId, deviceId);
  }

  /** GET /keys/upload/{deviceId}: {"one_time_key_counts": {"alg": n}} */
  counts(userId: string, deviceId: string): JsonObject {
    checkId(deviceId, 'device_id');
    const counts: JsonObject = Object.create(null);
    for (const r of this.storage.e2eKeys.oneTimeKeyCounts(userId, deviceId)) counts[r.algorithm] = r.n;
    return { one_time_key_counts: { ...counts } };
  }

  /** POST /keys/query {"device_keys": {"@user": [] | {} | ["device"]}}: local and remote users. */
  async query(body: unknown): Promise<JsonObject> {
    const wanted = this.parseQuery(body);
    const out = this.queryLocal(wanted.get(this.serverName) ?? new Map());
    for (const [server, users] of [...wanted].filter(([s]) => s !== this.serverName).slice(0, MAX_REMOTE_SERVERS)) {
      const req: JsonObject = Object.create(null);
      for (const [u, devices] of users) req[u] = devices ?? [];
      const res = await this.remote.query(server, req);
      const got = res && isObject(res.device_keys) ? res.device_keys : {};
      for (const [u, devices] of Object.entries(got)) if (users.has(u) && isObject(devices)) out[u] = devices;
    }
    return { device_keys: out };
  }

  /** Our own users' device keys, for a client or for another server. */
  queryLocal(users: Map<string, string[] | null>): JsonObject {
    const out: JsonObject = Object.create(null);
    for (const [u, devices] of users) {
      if (serverOf(u) !== this.serverName) continue;
      const forUser: JsonObject = Object.create(null);
      const rows = devices === null ? this.storage.e2eKeys.deviceKeys(u, null) : devices.flatMap((d) => this.storage.e2eKeys.deviceKeys(u, d));
      for (const r of rows) forUser[r.device_id] = JSON.parse(r.key_json) as JsonObject;
      out[u] = forUser;
    }
    return out;
  }

  /** Parses {"device_keys": {...}} into server -> user -> devices (null: all). */
  parseQuery(body: unknown): Map<string, Map<string, string[] | null>> {
    if (!isObject(body) || !isObject(body.device_keys)) throw badJson("Expected 'device_keys' object");
    const entries = Object.entries(body.device_keys);
    if (entries.length > MAX_USERS_PER_QUERY) throw new MatrixError(400, 'M_LIMIT_EXCEEDED', 'Too many users in one query');
    const out = new Map<string, Map<string, string[] | null>>();
    for (const [u, v] of entries) {
      if (!isValidUserId(u)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid user id');
      let devices: string[] | null = null;
      if (Array.isArray(v)) {
        if (v.length > MAX_DEVICES_PER_USER) throw new MatrixError(400, 'M_LIMIT_EXCEEDED', 'Too many devices');
        devices = v.length === 0 ? null : v.map((d) => checkId(d, 'device_id'));
      } else if (!isObject(v)) throw badJson('Device list must be a list or an object');
      const server = serverOf(u);
      if (!out.has(server)) out.set(server, new Map());
      out.get(server)!.set(u, devices);
    }
    return out;
  }

  /** POST /keys/claim {"one_time_keys": {"@user": {"device": "algorithm"}}} */
  async claim(body: unknown): Promise<JsonObject> {
    const wanted = this.parseClaim(body);
    const out = this.claimLocal(wanted.get(this.serverName) ?? new Map());
    for (const [server, users] of [...wanted].filter(([s]) => s !== this.serverName).slice(0, MAX_REMOTE_SERVERS)) {
      const req: JsonObject = Object.create(null);
      for (const [u, devices] of users) req[u] = Object.fromEntries(devices);
      const res = await this.remote.claim(server, req);
      const got = res && isObject(res.one_time_keys) ? res.one_time_keys : {};
      for (const [u, keys] of Object.entries(got)) if (users.has(u) && isObject(keys)) out[u] = keys;
    }
    return { one_time_keys: out };
  }

  claimLocal(users: Map<string, Map<string, string>>): JsonObject {
    const out: JsonObject = Object.create(null);
    for (const [u, devices] of users) {
      if (serverOf(u) !== this.serverName) continue;
      const forUser: JsonObject = Object.create(null);
      for (const [device, algorithm] of devices) {
        const k = this.storage.e2eKeys.claimOneTimeKey(u, device, algorithm);
        if (k) forUser[device] = { [`${algorithm}:${k.key_id}`]: JSON.parse(k.key_json) };
      }
      out[u] = forUser;
    }
    return out;
  }

  parseClaim(body: unknown): Map<string, Map<string, Map<string, string>>> {
    if (!isObject(body) || !isObject(body.one_time_keys)) throw badJson("Expected 'one_time_keys' object");
    const entries = Object.entries(body.one_time_keys);
    if (entries.length > MAX_USERS_PER_QUERY) throw new MatrixError(400, 'M_LIMIT_EXCEEDED', 'Too many users in one claim');
    const out = new Map<string, Map<string, Map<string, string>>>();
    for (const [u, v] of entries) {
      if (!isValidUserId(u)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid user id');
      if (!isObject(v)) throw badJson('Expected device -> algorithm');
      const devices = new Map<string, string>();
      for (const [d, alg] of Object.entries(v).slice(0, MAX_DEVICES_PER_USER)) devices.set(checkId(d, 'device_id'), checkId(alg, 'algorithm'));
      const server = serverOf(u);
      if (!out.has(server)) out.set(server, new Map());
      out.get(server)!.set(u, devices);
    }
    return out;
  }

  /** Federation POST /user/keys/query: another server asks about our users only. */
  federationQuery(body: unknown): JsonObject {
    return { device_keys: this.queryLocal(this.parseQuery(body).get(this.serverName) ?? new Map()) };
  }

  /** Federation POST /user/keys/claim: another server claims our users' one-time keys. */
  federationClaim(body: unknown): JsonObject {
    return { one_time_keys: this.claimLocal(this.parseClaim(body).get(this.serverName) ?? new Map()) };
  }
}
