-- Less work per stored event: search indexing after commit, one index only for state events, no event_auth copy.

-- The full-text index is filled after commit, off the write path, by an indexer that resumes from
-- the stream position stored here (src/search/indexer.ts): an event is searchable once committed
-- and indexed, and a restart (even after kill -9) indexes whatever the last run had not.
-- Everything stored so far was indexed inside its own transaction, so the indexer starts at the end.
CREATE TABLE search_position (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  stream_ordering  INTEGER NOT NULL
);
INSERT INTO search_position (id, stream_ordering) SELECT 1, coalesce(max(stream_ordering), 0) FROM events;

-- Only state events have a state_key: message events (most rows) need not enter this index.
-- Its only readers look up membership events by state_key (state_key = ? implies NOT NULL).
DROP INDEX events_state_key_stream;
CREATE INDEX events_state_key_stream ON events (state_key, type, stream_ordering) WHERE state_key IS NOT NULL;

-- An event's auth_events are in its stored JSON; only auth chains (federation) read them, from
-- there (storage/events.ts). Three fewer rows written per event.
DROP TABLE event_auth;

-- Tables keyed only by their primary key, without a separate rowid b-tree: one b-tree fewer
-- written per row (each new event writes one edge and moves its room's forward extremity).
CREATE TABLE event_edges_new (
  event_id       TEXT NOT NULL,
  prev_event_id  TEXT NOT NULL,
  room_id        TEXT NOT NULL,
  PRIMARY KEY (event_id, prev_event_id)
) WITHOUT ROWID;
INSERT INTO event_edges_new (event_id, prev_event_id, room_id) SELECT event_id, prev_event_id, room_id FROM event_edges;
DROP TABLE event_edges;
ALTER TABLE event_edges_new RENAME TO event_edges;
CREATE INDEX event_edges_prev ON event_edges (prev_event_id);

CREATE TABLE event_forward_extremities_new (
  room_id   TEXT NOT NULL,
  event_id  TEXT NOT NULL,
  PRIMARY KEY (room_id, event_id)
) WITHOUT ROWID;
INSERT INTO event_forward_extremities_new (room_id, event_id) SELECT room_id, event_id FROM event_forward_extremities;
DROP TABLE event_forward_extremities;
ALTER TABLE event_forward_extremities_new RENAME TO event_forward_extremities;
