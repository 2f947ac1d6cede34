-- Reference hash of each event (sha256 of its signed, pruned form), computed once when the event
-- is persisted and cited by the prev_events/auth_events of later events. Rows stored before this
-- migration keep NULL and get theirs on first use (rooms/event-loader.ts).
ALTER TABLE events ADD COLUMN reference_hash TEXT;
