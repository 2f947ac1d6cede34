-- 0003: rooms a user has left and asked to forget; they no longer show up anywhere for them.
CREATE TABLE forgotten_rooms (
  user_id  TEXT NOT NULL,
  room_id  TEXT NOT NULL,
  PRIMARY KEY (user_id, room_id)
);
