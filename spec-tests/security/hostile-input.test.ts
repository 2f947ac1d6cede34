// Issue 10, "Done means": hostile keys and values (hostile-values.ts) sent through every client and
// federation endpoint. Each endpoint's table of cases must answer 4xx {errcode, error} (2xx only where
// the input is acceptable data), never 5xx; a refused request stores nothing; the prototype of every
// object stays clean; and the server still answers afterwards.
import t, { type Test } from 'tap';
import { request } from 'undici';
import { http, Client, enc, type TestServer } from '../helpers/server.js';
import { pairFor } from '../federation/helpers.js';
import { authorizationHeader } from '../../src/federation/x-matrix.js';
import { hashAndSignEvent, type Pdu } from '../../src/events/index.js';
import {
  HOSTILE_VALUES, MALFORMED_SERVER_NAMES, PROTOTYPE_KEYS, hostileBodies, malformedIds, printable, type HostileBody,
} from './hostile-values.js';

const V1 = '/_matrix/client/api/v1';
const V2 = '/_matrix/client/v2_alpha';
const F = '/_matrix/federation/v1';
const REQUEST_TIMEOUT_MS = 15_000;

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  /** Client requests carry this token; federation requests are signed by `signer` (or not signed). */
  token?: string;
  signer?: TestServer;
  /** A 2xx is acceptable: the hostile part is legitimate data (free-form content, ignored keys). */
  may2xx: boolean;
  /** Even a 2xx must leave the room untouched (the sender has no right to change it). */
  roomUnchanged?: boolean;
  /**
   * A defect owned by another branch: reported as a tap todo so the suite stays green. Such a case
   * can poison Object.prototype of this very process, so it is only sent with HOSTILE_RUN_TODO=1.
   */
  todo?: string;
}

const RUN_TODO = process.env.HOSTILE_RUN_TODO === '1';

let A: TestServer;
let B: TestServer;
let alice: Client;
let bob: Client;
let room: string;
let eventId: string;

/** Every row a refused request could have written (stream positions and timestamps left out). */
const FULL_SQL = [
  'SELECT count(*), max(rowid) FROM events', 'SELECT * FROM current_state_events', 'SELECT * FROM users', 'SELECT * FROM access_tokens',
  'SELECT * FROM profiles', 'SELECT * FROM rooms', 'SELECT * FROM room_aliases', 'SELECT user_id, state, status_msg FROM presence',
  'SELECT * FROM presence_list', 'SELECT * FROM receipts', 'SELECT * FROM local_media', 'SELECT * FROM push_rules',
  'SELECT * FROM push_rules_enabled', 'SELECT * FROM forgotten_rooms', 'SELECT * FROM redactions',
];
const ROOM_SQL = [
  'SELECT count(*), max(rowid) FROM events', 'SELECT * FROM current_state_events', 'SELECT * FROM receipts', 'SELECT * FROM redactions',
];
const fingerprint = (s: TestServer, sql: string[]) => JSON.stringify(sql.map((q) => s.hs.storage.db.prepare(q).all()));

/** X-Matrix signed by `from`; a body without a canonical form (1e999, invalid UTF-8) gets a signature that cannot verify. */
function signature(from: TestServer, to: TestServer, method: string, path: string, body?: string | Buffer): string {
  let content: unknown;
  try {
    content = body === undefined ? undefined : JSON.parse(body.toString());
    return authorizationHeader({ method, uri: path, origin: from.serverName, destination: to.serverName, content }, from.hs.signingKey);
  } catch {
    return authorizationHeader({ method, uri: path, origin: from.serverName, destination: to.serverName, content: {} }, from.hs.signingKey);
  }
}

async function send(c: Case): Promise<{ status: number; body: any; text: string } | 'timeout'> {
  let url = A.url + c.path;
  if (c.token) url += (url.includes('?') ? '&' : '?') + 'access_token=' + enc(c.token);
  const headers: Record<string, string> = {};
  if (c.body !== undefined) headers['content-type'] = 'application/json';
  if (c.signer) headers.authorization = signature(c.signer, A, c.method, c.path, c.body);
  const res = await request(url, {
    method: c.method as any, body: c.body, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  }).catch((err: Error) => (err.name === 'TimeoutError' ? ('timeout' as const) : Promise.reject(err)));
  if (res === 'timeout') return res;
  const text = await res.body.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, body, text };
}

/** Runs a table of cases; one assertion per endpoint lists every case that misbehaved. */
async function runTable(t: Test, endpoint: string, cases: Case[]): Promise<void> {
  const failures = new Map<string, string[]>(); // todo reason ('' = none) -> failures
  const fail = (c: Case, why: string) => {
    const key = c.todo ?? '';
    if (!failures.has(key)) failures.set(key, []);
    failures.get(key)!.push(`${printable(c.name, 60)}: ${why}`);
  };
  for (const c of cases) {
    if (c.todo && !RUN_TODO) {
      fail(c, 'not sent (HOSTILE_RUN_TODO=1 sends it)');
      continue;
    }
    const full = fingerprint(A, FULL_SQL);
    const roomBefore = fingerprint(A, ROOM_SQL);
    const res = await send(c);
    if (res === 'timeout') {
      fail(c, 'no answer');
      continue;
    }
    const { status, body, text } = res;
    if (status >= 500) fail(c, `${status} ${text.slice(0, 120)}`);
    else if (status >= 400) {
      if (typeof body?.errcode !== 'string' || !/^M_[A-Z_]+$/.test(body.errcode) || typeof body?.error !== 'string') {
        fail(c, `${status} without {errcode, error}: ${text.slice(0, 80)}`);
      }
      if (fingerprint(A, FULL_SQL) !== full) fail(c, `refused with ${status} but something was stored`);
    } else if (!c.may2xx) fail(c, `accepted (${status}): ${text.slice(0, 80)}`);
    if (c.roomUnchanged && fingerprint(A, ROOM_SQL) !== roomBefore) fail(c, `the room changed (${status})`);
    if (c.token && text.includes(c.token)) fail(c, 'the access token is echoed');
  }
  t.same(failures.get('') ?? [], [], `${endpoint}: ${cases.length} hostile requests, each 4xx {errcode, error} or acceptable 2xx, nothing stored when refused`);
  for (const [todo, list] of failures) if (todo) t.same(list, [], `${endpoint}: known defects`, { todo });
}

/** Cases for every hostile body of a template, plus every malformed id in the path. */
function bodyCases(base: Omit<Case, 'name' | 'body' | 'may2xx'>, template: Record<string, unknown>, may2xx: boolean | ((b: HostileBody) => boolean)): Case[] {
  return hostileBodies(template).map((b) => ({
    ...base, name: b.name, body: b.body,
    may2xx: typeof may2xx === 'function' ? may2xx(b) : may2xx || b.name.startsWith('top-level key'),
  }));
}
function pathCases(base: Omit<Case, 'name' | 'path' | 'may2xx'>, values: string[], path: (v: string) => string): Case[] {
  return values.map((v) => ({ ...base, name: `path ${v}`, path: path(v), may2xx: false }));
}

t.before(async () => {
  [A, B] = await pairFor(t);
  alice = await Client.register(A, 'alice');
  bob = await Client.register(A, 'bob');
  room = (await alice.post('/createRoom', { visibility: 'private', room_alias_name: 'target' })).body.room_id;
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  await bob.post(`/rooms/${enc(room)}/join`, {});
  eventId = (await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: 'original' })).body.event_id;
});

t.test('client API: accounts, rooms, membership', async (t) => {
  const sn = A.serverName;
  const tok = alice.token!;
  let n = 0;
  await runTable(t, 'register', bodyCases({ method: 'POST', path: `${V1}/register` },
    { type: 'm.login.password', user: 'newuser', password: 'pw-12345678' },
    // "NaN", "__proto__" ... are valid localparts once lowercased: ordinary user names.
    (b) => /^password =|top-level|^user = "(NaN|-Infinity|__proto__|constructor)"/.test(b.name))
    .map((c) => ({ ...c, body: typeof c.body === 'string' ? c.body.replace('"newuser"', `"newuser${n++}"`) : c.body })));
  await runTable(t, 'login', bodyCases({ method: 'POST', path: `${V1}/login` },
    { type: 'm.login.password', user: 'alice', password: 'correct horse battery' }, (b) => b.name.startsWith('top-level')));
  await runTable(t, 'createRoom', bodyCases({ method: 'POST', path: `${V1}/createRoom`, token: tok },
    { visibility: 'private', name: 'n', topic: 't', invite: [], preset: 'private_chat', initial_state: [] },
    (b) => /^(name|topic) =|top-level|initial_state|invite =/.test(b.name) && !/invalid UTF-8/.test(b.name)));
  await runTable(t, 'join', [
    ...pathCases({ method: 'POST', token: bob.token }, [...malformedIds('!', sn), ...malformedIds('#', sn)], (v) => `${V1}/join/${enc(v)}`),
    ...bodyCases({ method: 'POST', path: `${V1}/join/${enc(room)}`, token: bob.token }, {}, true),
  ]);
  await runTable(t, 'invite', [
    ...bodyCases({ method: 'POST', path: `${V1}/rooms/${enc(room)}/invite`, token: tok }, { user_id: `@nobody:${sn}` }, (b) => b.name.startsWith('top-level')),
    ...malformedIds('@', sn).map((u) => ({ name: `user_id ${u}`, method: 'POST', path: `${V1}/rooms/${enc(room)}/invite`, token: tok, body: JSON.stringify({ user_id: u }), may2xx: false })),
    ...pathCases({ method: 'POST', token: tok, body: JSON.stringify({ user_id: `@nobody:${sn}` }) }, malformedIds('!', sn), (r) => `${V1}/rooms/${enc(r)}/invite`),
  ]);
  await runTable(t, 'leave', pathCases({ method: 'POST', token: tok, body: '{}' }, malformedIds('!', sn), (r) => `${V1}/rooms/${enc(r)}/leave`));
  await runTable(t, 'send', [
    ...bodyCases({ method: 'POST', path: `${V1}/rooms/${enc(room)}/send/m.room.message`, token: tok }, { msgtype: 'm.text', body: 'hi' },
      (b) => !/invalid UTF-8|body is|1e999|2\^53|0\.5|1e308|deep/.test(b.name)),
    ...pathCases({ method: 'POST', token: tok, body: '{"msgtype":"m.text","body":"x"}' }, malformedIds('!', sn), (r) => `${V1}/rooms/${enc(r)}/send/m.room.message`),
  ]);
  await runTable(t, 'state', [
    ...bodyCases({ method: 'PUT', path: `${V1}/rooms/${enc(room)}/state/org.example.hostile`, token: tok }, { topic: 't', extra: {} },
      (b) => !/invalid UTF-8|body is|1e999|2\^53|0\.5|1e308|deep/.test(b.name)),
    ...PROTOTYPE_KEYS.map((k) => ({ name: `event type ${k}`, method: 'PUT', path: `${V1}/rooms/${enc(room)}/state/${k}/${k}`, token: tok, body: '{"a":1}', may2xx: true })),
    ...pathCases({ method: 'PUT', token: tok, body: '{"topic":"x"}' }, malformedIds('!', sn), (r) => `${V1}/rooms/${enc(r)}/state/m.room.topic`),
  ]);
  let txn = 0;
  await runTable(t, 'redact', [
    ...bodyCases({ method: 'PUT', path: '', token: bob.token }, { reason: 'r' }, false)
      .map((c) => ({ ...c, path: `${V1}/rooms/${enc(room)}/redact/${enc(eventId)}/h${txn++}` })),
    ...pathCases({ method: 'PUT', token: tok, body: '{}' }, malformedIds('$', sn), (e) => `${V1}/rooms/${enc(room)}/redact/${enc(e)}/p${txn++}`),
  ]);
});

t.test('client API: profile, presence, typing, receipts, directory, push rules', async (t) => {
  const sn = A.serverName;
  const tok = alice.token!;
  const me = enc(alice.userId!);
  // Strings are data, null clears the field.
  const stringy = (field: string) => (b: HostileBody) => b.name.startsWith('top-level') ||
    (b.name.startsWith(`${field} =`) && /string|control|__proto__"|constructor"|NaN|Infinity"|= null/.test(b.name));
  await runTable(t, 'displayname', [
    ...bodyCases({ method: 'PUT', path: `${V1}/profile/${me}/displayname`, token: tok }, { displayname: 'Alice' }, stringy('displayname')),
    ...pathCases({ method: 'PUT', token: tok, body: '{"displayname":"x"}' }, malformedIds('@', sn), (u) => `${V1}/profile/${enc(u)}/displayname`),
  ]);
  await runTable(t, 'presence', [
    ...bodyCases({ method: 'PUT', path: `${V1}/presence/${me}/status`, token: tok }, { presence: 'online', status_msg: 'hi' }, stringy('status_msg')),
    ...pathCases({ method: 'PUT', token: tok, body: '{"presence":"online"}' }, malformedIds('@', sn), (u) => `${V1}/presence/${enc(u)}/status`),
  ]);
  await runTable(t, 'presence list', [
    ...bodyCases({ method: 'POST', path: `${V1}/presence/list/${me}`, token: tok },
      { invite: [bob.userId], drop: [] }, (b) => b.name.startsWith('top-level') || /^(invite|drop) = null/.test(b.name)),
    ...malformedIds('@', sn).filter((u) => u.startsWith('@')).map((u) => ({
      name: `invite ${u}`, method: 'POST', path: `${V1}/presence/list/${me}`, token: tok, body: JSON.stringify({ invite: [u] }), may2xx: false,
    })),
  ]);
  await runTable(t, 'typing', [
    ...bodyCases({ method: 'PUT', path: `${V1}/rooms/${enc(room)}/typing/${me}`, token: tok }, { typing: true, timeout: 1000 },
      // Synapse 0.12 read `typing` for its truth, numbers included (SyTest sends {"typing": 1}).
      (b) => b.name.startsWith('top-level') || /^timeout =|^typing = (true|-?\d|2\^53)/.test(b.name)),
    ...pathCases({ method: 'PUT', token: tok, body: '{"typing":true}' }, malformedIds('@', sn), (u) => `${V1}/rooms/${enc(room)}/typing/${enc(u)}`),
  ]);
  await runTable(t, 'receipts', [
    ...PROTOTYPE_KEYS.map((k) => ({ name: `receipt type ${k}`, method: 'POST', path: `${V2}/rooms/${enc(room)}/receipt/${k}/${enc(eventId)}`, token: tok, body: '{}', may2xx: true })),
    ...pathCases({ method: 'POST', token: tok, body: '{}' }, malformedIds('$', sn), (e) => `${V2}/rooms/${enc(room)}/receipt/m.read/${enc(e)}`),
  ]);
  await runTable(t, 'directory', [
    ...bodyCases({ method: 'PUT', path: `${V1}/directory/room/${enc(`#hostile:${sn}`)}`, token: tok }, { room_id: room, servers: [sn] },
      (b) => /top-level|^servers = null/.test(b.name)),
    ...pathCases({ method: 'PUT', token: tok, body: JSON.stringify({ room_id: room }) }, malformedIds('#', sn), (a) => `${V1}/directory/room/${enc(a)}`),
    ...pathCases({ method: 'GET' }, malformedIds('#', sn), (a) => `${V1}/directory/room/${enc(a)}`),
  ]);
  await runTable(t, 'push rules', [
    ...bodyCases({ method: 'PUT', path: `${V1}/pushrules/global/content/hostile`, token: tok }, { actions: ['notify'], pattern: 'cake' },
      (b) => b.name.startsWith('top-level') || /^pattern = .*(string|control|__proto__"|constructor"|NaN|Infinity")/.test(b.name)),
    ...[...PROTOTYPE_KEYS, 'global'].flatMap((k) => [
      { name: `GET scope ${k}`, method: 'GET', path: `${V1}/pushrules/${k}/`, token: tok, may2xx: k === 'global' },
      { name: `GET kind ${k}`, method: 'GET', path: `${V1}/pushrules/global/${k}/`, token: tok, may2xx: false },
      { name: `PUT rule id ${k}`, method: 'PUT', path: `${V1}/pushrules/global/content/${k}`, token: tok, body: '{"actions":["notify"],"pattern":"x"}', may2xx: true },
      { name: `PUT kind ${k}`, method: 'PUT', path: `${V1}/pushrules/global/${k}/r`, token: tok, body: '{"actions":["notify"],"pattern":"x"}', may2xx: false },
    ]),
  ]);
});

t.test('client API: media, and hostile query strings', async (t) => {
  const tok = alice.token!;
  const M = '/_matrix/media/v1';
  await runTable(t, 'media', [
    ...MALFORMED_SERVER_NAMES.map((s) => ({ name: `download from ${s}`, method: 'GET', path: `${M}/download/${enc(s)}/abc`, may2xx: false })),
    ...['..', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '__proto__', 'x'.repeat(900), '%00'].map((id) => ({
      name: `media id ${id}`, method: 'GET', path: `${M}/download/${A.serverName}/${id}`, may2xx: false,
    })),
    ...['1e308', '-1', 'NaN', '0', '99999999', '__proto__'].map((w) => ({
      name: `thumbnail width ${w}`, method: 'GET', path: `${M}/thumbnail/${A.serverName}/abc?width=${w}&height=${w}`, may2xx: false,
    })),
    ...['%00', enc('\u0007\u2028'), 'x'.repeat(900), '__proto__', '..%2F..%2Fpasswd'].map((f) => ({
      name: `upload filename ${f}`, method: 'POST', path: `${M}/upload?filename=${f}`, token: tok, body: 'some bytes', may2xx: true,
    })),
  ]);
  const q = (path: string, may2xx = false): Case => ({ name: path, method: 'GET', path, token: tok, may2xx });
  await runTable(t, 'query strings', [
    ...['__proto__', 'constructor', 'x'.repeat(2000), '-1', '1e999', 's99999999999999999999_1', '%00'].map((v) => q(`${V1}/events?from=${v}&timeout=0`)),
    // A huge but integral timeout is a legitimate long-poll (capped by the server): not sent here.
    ...['-1', 'NaN', '0.5', '1e999', '__proto__'].map((v) => q(`${V1}/events?timeout=${v}`)),
    ...['-1', '1e999', 'NaN', '__proto__', '9007199254740993'].map((v) => q(`${V1}/initialSync?limit=${v}`, v === '9007199254740993')),
    ...['__proto__', '-1', '1e999', 'x'.repeat(2000)].map((v) => q(`${V1}/rooms/${enc(room)}/messages?from=${v}&limit=${v}`)),
  ]);
});

t.test('federation API, signed by a real server and unsigned', async (t) => {
  const sn = A.serverName;
  const carol = `@carol:${B.serverName}`;
  // An event from B's user into A's room, where B has no member: it must be refused whatever it holds.
  const pdu = (over: Record<string, unknown> = {}) => hashAndSignEvent({
    room_id: room, sender: carol, origin: B.serverName, origin_server_ts: Date.now(), type: 'm.room.message',
    content: { msgtype: 'm.text', body: 'intruder' }, prev_events: [], auth_events: [], depth: 5, event_id: `$intruder${Date.now()}:${B.serverName}`,
    signatures: {}, hashes: {}, ...over,
  } as unknown as Pdu, B.serverName, B.hs.signingKey);
  const txn = (pdus: unknown[], edus: unknown[] = []) => ({ origin: B.serverName, origin_server_ts: Date.now(), pdus, edus });
  let id = 0;
  // Every case signed by B; every fifth also unsigned (always refused: the body is never looked at).
  let k = 0;
  const fed = (c: Omit<Case, 'signer'>): Case[] => [
    { ...c, name: `signed: ${c.name}`, signer: B }, ...(k++ % 5 === 0 ? [{ ...c, name: `unsigned: ${c.name}`, may2xx: false }] : []),
  ];
  const cases: Case[] = [
    ...bodyCases({ method: 'PUT', path: '', roomUnchanged: true }, txn([pdu()]), true)
      .map((c) => ({ ...c, path: `${F}/send/h${id++}/` })),
    ...HOSTILE_VALUES.flatMap((v) => ['depth', 'room_id', 'event_id', 'sender', 'content', 'prev_events', 'type'].map((field) => {
      let p: Record<string, unknown>;
      try {
        p = pdu({ [field]: JSON.parse(v.json) });
      } catch {
        p = { ...pdu(), [field]: v.name };
      }
      return { name: `pdu ${field} = ${v.name}`, method: 'PUT', path: `${F}/send/p${id++}/`, body: JSON.stringify(txn([p])), may2xx: true, roomUnchanged: true };
    })),
    ...PROTOTYPE_KEYS.flatMap((k) => [
      { name: `m.receipt keyed ${k}`, method: 'PUT', path: `${F}/send/r${id++}/`, may2xx: true, roomUnchanged: true,
        body: `{"origin":"${B.serverName}","origin_server_ts":1,"pdus":[],"edus":[{"edu_type":"m.receipt","content":{"${room}":{"${k}":{"${carol}":{"event_ids":["${eventId}"],"data":{"ts":1}}}}}}]}` },
      { name: `m.receipt room ${k}`, method: 'PUT', path: `${F}/send/r${id++}/`, may2xx: true, roomUnchanged: true,
        body: `{"origin":"${B.serverName}","origin_server_ts":1,"pdus":[],"edus":[{"edu_type":"m.receipt","content":{"${k}":{"m.read":{"${carol}":{"event_ids":["${eventId}"]}}}}}]}` },
      { name: `m.typing room ${k}`, method: 'PUT', path: `${F}/send/t${id++}/`, may2xx: true, roomUnchanged: true,
        body: `{"origin":"${B.serverName}","origin_server_ts":1,"pdus":[],"edus":[{"edu_type":"m.typing","content":{"room_id":"${k}","user_id":"${carol}","typing":true}}]}` },
      { name: `m.presence ${k}`, method: 'PUT', path: `${F}/send/s${id++}/`, may2xx: true, roomUnchanged: true,
        body: `{"origin":"${B.serverName}","origin_server_ts":1,"pdus":[],"edus":[{"edu_type":"m.presence","content":{"push":[{"user_id":"${carol}","presence":"online","${k}":{"polluted":true}}]}}]}` },
    ]),
  ].flatMap((c) => fed(c));
  const roomPaths = (r: string) => [
    ['GET', `${F}/state/${enc(r)}/?event_id=${enc(eventId)}`], ['GET', `${F}/state_ids/${enc(r)}/?event_id=${enc(eventId)}`],
    ['GET', `${F}/backfill/${enc(r)}/?v=${enc(eventId)}&limit=10`], ['GET', `${F}/event_auth/${enc(r)}/${enc(eventId)}`],
    ['GET', `${F}/make_join/${enc(r)}/${enc(carol)}`], ['POST', `${F}/get_missing_events/${enc(r)}`],
    ['PUT', `${F}/send_join/${enc(r)}/${enc(`$j:${B.serverName}`)}`], ['PUT', `${F}/invite/${enc(r)}/${enc(`$i:${B.serverName}`)}`],
  ];
  for (const r of malformedIds('!', sn)) {
    for (const [method, path] of roomPaths(r)) cases.push(...fed({ name: `${method} ${path}`, method: method!, path: path!, body: method === 'GET' ? undefined : '{}', may2xx: false }));
  }
  for (const e of malformedIds('$', sn)) cases.push(...fed({ name: `event ${e}`, method: 'GET', path: `${F}/event/${enc(e)}/`, may2xx: false }));
  for (const v of [...malformedIds('#', sn), ...HOSTILE_VALUES.map((h) => h.json.slice(0, 200))]) {
    cases.push(...fed({ name: `query directory ${v}`, method: 'GET', path: `${F}/query/directory?room_alias=${enc(v)}`, may2xx: false }));
  }
  for (const v of [...malformedIds('@', sn), '__proto__']) {
    cases.push(...fed({ name: `query profile ${v}`, method: 'GET', path: `${F}/query/profile?user_id=${enc(v)}&field=displayname`, may2xx: false }));
  }
  for (const field of PROTOTYPE_KEYS) {
    cases.push(...fed({ name: `query profile field ${field}`, method: 'GET', path: `${F}/query/profile?user_id=${enc(alice.userId!)}&field=${field}`, may2xx: false }));
  }
  for (const [method, path] of roomPaths(room)) {
    if (method === 'GET') continue;
    for (const b of hostileBodies({ event: {}, earliest_events: [], latest_events: [eventId], limit: 10 })) {
      cases.push(...fed({ name: `${path.split('/')[4]} ${b.name}`, method: method!, path: path!, body: b.body, may2xx: false, roomUnchanged: true }));
    }
  }
  cases.push(...bodyCases({ method: 'POST', path: '/_matrix/key/v2/query' },
    { server_keys: { [B.serverName]: { 'ed25519:auto': { minimum_valid_until_ts: 0 } } } }, true));
  cases.push(...MALFORMED_SERVER_NAMES.map((s) => ({ name: `key query ${s}`, method: 'GET', path: `/_matrix/key/v2/query/${enc(s)}`, may2xx: false })));
  await runTable(t, 'federation', cases);
});

t.test('afterwards: no prototype was touched, the room is intact, the server still answers', async (t) => {
  const probe = {} as Record<string, unknown>;
  t.equal(probe.polluted, undefined, 'Object.prototype has no "polluted"');
  t.equal(probe.visibility, undefined, 'Object.prototype has no "visibility"');
  t.same(Object.getOwnPropertyNames(Object.prototype).sort(), Object.getOwnPropertyNames(Object.getPrototypeOf({})).sort());
  const created = await alice.post('/createRoom', {});
  t.equal(created.status, 200, 'createRoom without visibility still works');
  const sync = await alice.get('/initialSync?limit=5');
  t.equal(sync.status, 200, 'initialSync answers');
  const msgs = await alice.get(`/rooms/${enc(room)}/messages?dir=b&limit=100`);
  t.notOk(msgs.body.chunk.some((e: any) => e.sender === `@carol:${B.serverName}`), "no event from B's user reached the room");
  t.ok(msgs.body.chunk.some((e: any) => e.event_id === eventId && e.content.body === 'original'), 'the original message is unredacted');
  t.equal((await http(A.url, 'GET', `${V1}/publicRooms`)).status, 200, 'the server still answers');
  t.equal((await http(B.url, 'GET', `${V1}/publicRooms`)).status, 200, 'and so does its peer');
});
