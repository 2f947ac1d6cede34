// JSON schemas of request bodies and path parameters, checked by Fastify (ajv, configured in
// app.ts to never coerce, fill in or remove anything: the body a handler sees is the body the
// client sent, and signed JSON stays byte-exact in req.rawBody). Failures are answered by the
// one error handler (server-setup.ts): a body that is not an object 400 M_NOT_JSON, a missing
// key 400 M_MISSING_PARAM, a key of the wrong type 400 M_BAD_JSON, a bad path parameter 400
// M_INVALID_PARAM. The schemas say only what every caller must send; services check the rest
// (lengths, id syntax, policies).

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const strOrNull: Schema = { type: ['string', 'null'] };
const obj: Schema = { type: 'object' };
const strings: Schema = { type: 'array', items: str };

/** A JSON object body (an empty body is 400 M_NOT_JSON). */
export const objectBody: Schema = obj;
/** A JSON object or no body at all (the era's clients POST /join and /leave without one). */
export const optionalObjectBody: Schema = { type: ['object', 'null'] };

const object = (properties: Record<string, Schema>, required: string[] = [], optional = false): Schema =>
  ({ type: optional ? ['object', 'null'] : 'object', properties, ...(required.length ? { required } : {}) });

/** Path parameters besides ids (those are checked by id-params.ts for every route). */
const PARAMS: Record<string, Schema> = {
  txnId: { type: 'string', minLength: 1, maxLength: 255 },
  eventType: { type: 'string', minLength: 1, maxLength: 255 },
  stateKey: { type: 'string', maxLength: 255 },
  action: { type: 'string', maxLength: 64 },
};

/** The params schema of a route with these path parameters (unknown names: any string). */
export function params(...names: string[]): Schema {
  const properties: Record<string, Schema> = {};
  for (const n of names) properties[n] = Object.hasOwn(PARAMS, n) ? PARAMS[n] : str;
  return { type: 'object', properties };
}

/** A non-negative integer query parameter ('' or absent: the route's default). */
const intQuery: Schema = { type: 'string', pattern: '^[0-9]{0,15}$' };

/** Query strings: a bad value is 400 M_INVALID_PARAM, as the routes' own checks answered. */
export const queries = {
  // GET /events?from=&timeout=&limit=&room_id=&dir=
  events: { type: 'object', properties: { from: str, timeout: intQuery, limit: intQuery, room_id: str, dir: str } },
  // GET /initialSync?limit=&archived=; GET /rooms/{roomId}/initialSync?limit=
  initialSync: { type: 'object', properties: { limit: intQuery, archived: str } },
  // GET /rooms/{roomId}/messages?from=&to=&dir=&limit=
  messages: { type: 'object', properties: { from: str, to: str, dir: str, limit: intQuery } },
  // POST /_matrix/media/v1/upload?filename= (length checked by the media repository)
  mediaUpload: { type: 'object', properties: { filename: str } },
  // GET /_matrix/media/v1/thumbnail/...?width=&height=&method=&type=, /identicon/...?width=&height=
  // (the digits are checked by the route, which answers M_UNKNOWN as Synapse did)
  mediaSize: { type: 'object', properties: { width: str, height: str, method: str, type: str } },
  // GET /v2_alpha/sync?since=&timeout=&full_state=&set_presence=&filter=
  sync: { type: 'object', properties: { since: str, timeout: intQuery, full_state: str, set_presence: str, filter: str } },
} satisfies Record<string, Schema>;

export const bodies = {
  // POST /login {"type": "m.login.password", "user", "password"}
  login: object({ type: str, user: str, password: str }, ['type']),
  // POST /register (v1) {"type", "user", "password"} or the shared-secret / application-service types
  registerV1: object({ type: str, user: str, password: str, mac: str }, ['type']),
  // POST /v2_alpha/register {"username", "password", "auth": {"type", "session"}}
  registerV2: object({ username: str, password: str, auth: object({ type: str, session: str }) }, [], true),
  // POST /createRoom {"visibility", "room_alias_name", "name", "topic", "invite", "preset", "initial_state", "creation_content"}
  createRoom: object({
    visibility: { enum: ['public', 'private'] },
    name: str,
    topic: str,
    invite: strings,
    preset: { enum: ['public_chat', 'private_chat', 'trusted_private_chat'] },
    initial_state: { type: 'array', items: object({ type: str, state_key: str, content: obj }, ['type', 'content']) },
    creation_content: obj,
  }, [], true),
  // POST /rooms/{roomId}/{invite|ban|unban|kick} {"user_id", "reason"} (or an invite by 3pid)
  membership: object({ user_id: str, id_server: str, medium: str, address: str }, [], true),
  // PUT /profile/{userId}/displayname|avatar_url
  displayname: object({ displayname: strOrNull }),
  avatar_url: object({ avatar_url: strOrNull }),
  // PUT /presence/{userId}/status {"presence", "status_msg"}
  presence: object({ presence: str, status_msg: strOrNull }, ['presence']),
  // POST /presence/list/{userId} {"invite": [...], "drop": [...]}
  presenceList: object({ invite: strings, drop: strings }),
  // PUT /rooms/{roomId}/typing/{userId} {"typing": true, "timeout": 30000} (SyTest sends "typing": 1)
  typing: object({ typing: { type: ['boolean', 'number'] }, timeout: { type: 'number' } }, ['typing']),
  // PUT /directory/room/{alias} {"room_id", "servers"}
  directory: object({ room_id: str, servers: strings }),
  // POST /user/{userId}/filter
  filter: obj,
  // POST /pushers/set {"kind", "app_id", "pushkey", "data", ...}
  pusher: object({ kind: strOrNull, app_id: str, pushkey: str, data: obj }),
  // PUT /user/{userId}[/rooms/{roomId}]/account_data/{type}: any JSON object
  accountData: obj,
  // PUT /pushrules/global/{kind}/{ruleId} {"actions", "conditions"|"pattern"}
  pushRule: object({ actions: { type: 'array' }, conditions: { type: 'array', items: obj }, pattern: str }),
  // POST /keys/upload[/{deviceId}] {"device_keys", "one_time_keys"}
  keysUpload: object({ device_keys: obj, one_time_keys: obj }),
  // POST /keys/query {"device_keys": {userId: [deviceId, ...]}}
  keysQuery: object({ device_keys: obj }, ['device_keys']),
  // POST /keys/claim {"one_time_keys": {userId: {deviceId: algorithm}}}
  keysClaim: object({ one_time_keys: obj }, ['one_time_keys']),
  // POST /tokenrefresh {"refresh_token"}
  tokenRefresh: object({ refresh_token: str }),
} satisfies Record<string, Schema>;
