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
