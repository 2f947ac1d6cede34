-- 0001: the schema every part of the server starts from.

-- Accounts -----------------------------------------------------------------
CREATE TABLE users (
  user_id        TEXT PRIMARY KEY,
  password_hash  TEXT,              -- NULL: no password login (application service users)
  created_ts     INTEGER NOT NULL,
  is_admin       INTEGER NOT NULL DEFAULT 0,
  appservice_id  TEXT               -- set when registered by an application service
);
CREATE UNIQUE INDEX users_lower ON users (lower(user_id));

-- Tokens are stored as sha256 hex: a copy of the database does not hand out sessions.
CREATE TABLE access_tokens (
  token_hash    TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL,
  created_ts    INTEGER NOT NULL
);
CREATE INDEX access_tokens_user ON access_tokens (user_id);

CREATE TABLE profiles (
  user_id      TEXT PRIMARY KEY,
  displayname  TEXT,
  avatar_url   TEXT
);

-- One row per (access token, path, txnId): a retried PUT answers what the first one did.
CREATE TABLE client_txns (
  token_hash     TEXT NOT NULL,
  path           TEXT NOT NULL,
  txn_id         TEXT NOT NULL,
  response_json  TEXT NOT NULL,
  created_ts     INTEGER NOT NULL,
  PRIMARY KEY (token_hash, path, txn_id)
);

-- Rooms and events ---------------------------------------------------------
CREATE TABLE rooms (
  room_id     TEXT PRIMARY KEY,
  creator     TEXT,
  is_public   INTEGER NOT NULL DEFAULT 0,
  created_ts  INTEGER NOT NULL
);

-- json is the PDU exactly as signed (local) or as received (remote), without `unsigned`.
CREATE TABLE events (
  event_id            TEXT PRIMARY KEY,
  stream_ordering     INTEGER UNIQUE,     -- live stream position; NULL for outliers, < 0 for backfill
  room_id             TEXT NOT NULL,
  type                TEXT NOT NULL,
  state_key           TEXT,
  sender              TEXT NOT NULL,
  depth               INTEGER NOT NULL,
  origin_server_ts    INTEGER NOT NULL,
  received_ts         INTEGER NOT NULL,
  age_ts              INTEGER NOT NULL,
  json                TEXT NOT NULL,
  outlier             INTEGER NOT NULL DEFAULT 0,
  rejected_reason     TEXT,
  redacted_by         TEXT,
  hash_mismatch       INTEGER NOT NULL DEFAULT 0,
  state_group_before  INTEGER,
  state_group         INTEGER             -- state after this event
);
CREATE INDEX events_room_stream ON events (room_id, stream_ordering);
CREATE INDEX events_room_topo ON events (room_id, depth, stream_ordering);

CREATE TABLE event_edges (
  event_id       TEXT NOT NULL,
  prev_event_id  TEXT NOT NULL,
  room_id        TEXT NOT NULL,
  PRIMARY KEY (event_id, prev_event_id)
);
CREATE INDEX event_edges_prev ON event_edges (prev_event_id);

CREATE TABLE event_auth (
  event_id       TEXT NOT NULL,
  auth_event_id  TEXT NOT NULL,
  PRIMARY KEY (event_id, auth_event_id)
);

CREATE TABLE event_forward_extremities (
  room_id   TEXT NOT NULL,
  event_id  TEXT NOT NULL,
  PRIMARY KEY (room_id, event_id)
);

-- prev_events we have never seen: where backfill continues.
CREATE TABLE event_backward_extremities (
  room_id   TEXT NOT NULL,
  event_id  TEXT NOT NULL,
  PRIMARY KEY (room_id, event_id)
);

CREATE TABLE redactions (
  event_id  TEXT PRIMARY KEY,   -- the m.room.redaction event
  redacts   TEXT NOT NULL
);
CREATE INDEX redactions_redacts ON redactions (redacts);

-- State groups: each group is a delta over prev_group; a full snapshot every few links.
CREATE TABLE state_groups (
  id            INTEGER PRIMARY KEY,
  room_id       TEXT NOT NULL,
  prev_group    INTEGER,
  chain_length  INTEGER NOT NULL
);
CREATE TABLE state_groups_state (
  state_group  INTEGER NOT NULL,
  type         TEXT NOT NULL,
  state_key    TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  PRIMARY KEY (state_group, type, state_key)
);

CREATE TABLE current_state_events (
  room_id     TEXT NOT NULL,
  type        TEXT NOT NULL,
  state_key   TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  membership  TEXT,             -- for m.room.member rows
  PRIMARY KEY (room_id, type, state_key)
);
CREATE INDEX current_state_members ON current_state_events (state_key, type, membership);

CREATE TABLE room_aliases (
  room_alias    TEXT PRIMARY KEY,
  room_id       TEXT NOT NULL,
  creator       TEXT,
  servers_json  TEXT NOT NULL
);
CREATE INDEX room_aliases_room ON room_aliases (room_id);

-- Presence and receipts -------------------------------------------------------
CREATE TABLE presence (
  user_id         TEXT PRIMARY KEY,
  state           TEXT NOT NULL,
  status_msg      TEXT,
  last_active_ts  INTEGER NOT NULL,
  stream_id       INTEGER NOT NULL
);
CREATE TABLE presence_list (
  observer_user_id  TEXT NOT NULL,
  observed_user_id  TEXT NOT NULL,
  accepted          INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (observer_user_id, observed_user_id)
);
CREATE TABLE receipts (
  room_id       TEXT NOT NULL,
  receipt_type  TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  event_id      TEXT NOT NULL,
  ts            INTEGER NOT NULL,
  stream_id     INTEGER NOT NULL,
  PRIMARY KEY (room_id, receipt_type, user_id)
);

-- Federation ---------------------------------------------------------------
CREATE TABLE server_keys (
  server_name     TEXT NOT NULL,
  key_id          TEXT NOT NULL,
  verify_key      TEXT NOT NULL,     -- unpadded base64
  valid_until_ts  INTEGER NOT NULL,
  expired_ts      INTEGER,           -- set for old_verify_keys
  PRIMARY KEY (server_name, key_id)
);
-- The last self-signed key response of each server, kept verbatim for notary answers.
CREATE TABLE server_key_responses (
  server_name     TEXT PRIMARY KEY,
  response_json   TEXT NOT NULL,
  valid_until_ts  INTEGER NOT NULL,
  fetched_ts      INTEGER NOT NULL
);

-- Rows written in the same SQLite transaction as the event they carry.
CREATE TABLE federation_outbound_queue (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  destination  TEXT NOT NULL,
  event_id     TEXT,              -- a PDU
  edu_json     TEXT,              -- or an EDU
  created_ts   INTEGER NOT NULL
);
CREATE INDEX federation_outbound_queue_dest ON federation_outbound_queue (destination, id);

CREATE TABLE federation_destinations (
  destination      TEXT PRIMARY KEY,
  retry_last_ts    INTEGER NOT NULL DEFAULT 0,
  retry_interval   INTEGER NOT NULL DEFAULT 0,
  -- the transaction in flight (or to retry): same id, same body until acknowledged
  pending_txn_id   TEXT,
  pending_max_id   INTEGER,
  pending_body     TEXT
);

CREATE TABLE federation_inbound_txns (
  origin         TEXT NOT NULL,
  txn_id         TEXT NOT NULL,
  response_json  TEXT NOT NULL,
  received_ts    INTEGER NOT NULL,
  PRIMARY KEY (origin, txn_id)
);

-- Application services -----------------------------------------------------
CREATE TABLE appservice_queue (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  as_id       TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  created_ts  INTEGER NOT NULL
);
CREATE INDEX appservice_queue_as ON appservice_queue (as_id, id);

CREATE TABLE appservice_txns (
  as_id         TEXT NOT NULL,
  txn_id        INTEGER NOT NULL,
  max_queue_id  INTEGER NOT NULL,
  body          TEXT NOT NULL,      -- the exact JSON sent, identical on every retry
  created_ts    INTEGER NOT NULL,
  PRIMARY KEY (as_id, txn_id)
);

CREATE TABLE appservice_state (
  as_id          TEXT PRIMARY KEY,
  last_txn_id    INTEGER NOT NULL DEFAULT 0,
  backoff_ms     INTEGER NOT NULL DEFAULT 0,
  next_retry_ts  INTEGER NOT NULL DEFAULT 0,
  last_error     TEXT
);

CREATE TABLE appservice_legacy_registrations (
  as_token         TEXT PRIMARY KEY,
  hs_token         TEXT NOT NULL,
  url              TEXT NOT NULL,
  namespaces_json  TEXT NOT NULL,
  created_ts       INTEGER NOT NULL
);

-- Media --------------------------------------------------------------------
CREATE TABLE local_media (
  media_id      TEXT PRIMARY KEY,
  content_type  TEXT NOT NULL,
  length        INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  upload_name   TEXT,
  uploader      TEXT NOT NULL,
  created_ts    INTEGER NOT NULL
);
CREATE TABLE remote_media (
  origin        TEXT NOT NULL,
  media_id      TEXT NOT NULL,
  file_id       TEXT NOT NULL,     -- our own random name on disk
  content_type  TEXT NOT NULL,
  length        INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  upload_name   TEXT,
  fetched_ts    INTEGER NOT NULL,
  PRIMARY KEY (origin, media_id)
);
CREATE TABLE media_thumbnails (
  origin        TEXT NOT NULL,     -- '' for local media
  media_id      TEXT NOT NULL,
  width         INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  method        TEXT NOT NULL,
  content_type  TEXT NOT NULL,
  length        INTEGER NOT NULL,
  file_id       TEXT NOT NULL,
  PRIMARY KEY (origin, media_id, width, height, method, content_type)
);
