import type { Db } from './db.js';

/** How far back a user's memberships in a room are forgotten (POST /rooms/{roomId}/forget). */
export class ForgottenMembershipsStore {
  private readonly upsert;
  private readonly select;

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO forgotten_memberships (user_id, room_id, up_to) VALUES (?, ?, ?)
      ON CONFLICT(user_id, room_id) DO UPDATE SET up_to = max(up_to, excluded.up_to)`);
    this.select = db.prepare('SELECT up_to FROM forgotten_memberships WHERE user_id = ? AND room_id = ?');
  }

  forgetUpTo(userId: string, roomId: string, stream: number): void {
    this.upsert.run(userId, roomId, stream);
  }

  /** Membership events at or before this stream position no longer count, or null. */
  upTo(userId: string, roomId: string): number | null {
    return (this.select.get(userId, roomId) as { up_to: number } | undefined)?.up_to ?? null;
  }
}
