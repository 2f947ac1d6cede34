import type { Db } from './db.js';

/** Single-use refresh tokens, by sha256 hash. */
export class RefreshTokensStore {
  private readonly insert;
  private readonly take;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO refresh_tokens (token_hash, user_id, created_ts) VALUES (?, ?, ?)');
    this.take = db.prepare('DELETE FROM refresh_tokens WHERE token_hash = ? RETURNING user_id');
  }

  add(tokenHash: string, userId: string, now: number): void {
    this.insert.run(tokenHash, userId, now);
  }

  /** Removes the token and returns its user, or undefined if it was unknown or already used. */
  consume(tokenHash: string): string | undefined {
    return (this.take.get(tokenHash) as { user_id: string } | undefined)?.user_id;
  }
}
