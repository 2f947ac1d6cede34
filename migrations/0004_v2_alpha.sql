-- 0004 (v2_alpha): filters, account data and tags, e2e keys, guests, pushers, txn ids for /sync.

-- Filters a client stored with POST /user/{userId}/filter; ids count up per user.
CREATE TABLE user_filters (
  user_id      TEXT NOT NULL,
  filter_id    INTEGER NOT NULL,
  filter_json  TEXT NOT NULL,
  PRIMARY KEY (user_id, filter_id)
);

-- Account data: global (room_id = '') and per room; stream_id orders changes for /sync and /events.
-- Room tags are kept here too, as the m.tag event of the room ({"tags": {...}}).
CREATE TABLE account_data (
  user_id       TEXT NOT NULL,
  room_id       TEXT NOT NULL,
  type          TEXT NOT NULL,
  content_json  TEXT NOT NULL,
  stream_id     INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX account_data_stream ON account_data (user_id, stream_id);

-- The txnId a client sent an event with, echoed as unsigned.transaction_id to the same token.
CREATE TABLE event_txn_ids (
  event_id    TEXT PRIMARY KEY,
  token_hash  TEXT NOT NULL,
  txn_id      TEXT NOT NULL
);

-- End-to-end keys (v2_alpha keys API of late 2015): one device-keys object per device, and
-- one-time keys that are handed out once.
CREATE TABLE e2e_device_keys (
  user_id    TEXT NOT NULL,
  device_id  TEXT NOT NULL,
  key_json   TEXT NOT NULL,
  ts         INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
);
CREATE TABLE e2e_one_time_keys (
  user_id    TEXT NOT NULL,
  device_id  TEXT NOT NULL,
  algorithm  TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  key_json   TEXT NOT NULL,
  ts         INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, algorithm, key_id)
);

-- Guest accounts (register?kind=guest).
ALTER TABLE users ADD COLUMN is_guest INTEGER NOT NULL DEFAULT 0;

-- HTTP pushers (POST /pushers/set) and what was last pushed to each.
CREATE TABLE pushers (
  user_id              TEXT NOT NULL,
  app_id               TEXT NOT NULL,
  pushkey              TEXT NOT NULL,
  kind                 TEXT NOT NULL,
  app_display_name     TEXT NOT NULL,
  device_display_name  TEXT NOT NULL,
  profile_tag          TEXT NOT NULL,
  lang                 TEXT NOT NULL,
  data_json            TEXT NOT NULL,
  url                  TEXT NOT NULL,
  ts                   INTEGER NOT NULL,
  last_stream          INTEGER NOT NULL,
  failing_since        INTEGER,
  PRIMARY KEY (app_id, pushkey, user_id)
);

-- /sync looks up the membership changes of one user between two stream positions.
CREATE INDEX events_state_key_stream ON events (state_key, type, stream_ordering);

-- Full-text index for POST /search: message bodies, room names and topics.
CREATE VIRTUAL TABLE event_search USING fts5(
  value,
  event_id UNINDEXED,
  room_id UNINDEXED,
  key UNINDEXED,
  stream_ordering UNINDEXED
);

-- Refresh tokens (v2_alpha/tokenrefresh, Synapse 0.12): single use, stored hashed like access tokens.
CREATE TABLE refresh_tokens (
  token_hash  TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  created_ts  INTEGER NOT NULL
);

-- Forgetting a room also forgets the user's memberships so far (Synapse 0.12): history they could
-- see only as a member then stays hidden if they join again. One row per (user, room): the
-- newest stream position whose membership events are forgotten.
CREATE TABLE forgotten_memberships (
  user_id  TEXT NOT NULL,
  room_id  TEXT NOT NULL,
  up_to    INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id)
);
