import type { Db } from './db.js';

export interface UserRow {
  user_id: string;
  password_hash: string | null;
  created_ts: number;
  is_admin: number;
  appservice_id: string | null;
  /** 1 for guest accounts (register?kind=guest). */
  is_guest: number;
}

export interface ProfileRow {
  user_id: string;
  displayname: string | null;
  avatar_url: string | null;
}

export class UsersStore {
  private readonly insertUser;
  private readonly selectUser;
  private readonly selectUserLower;
  private readonly insertToken;
  private readonly selectToken;
  private readonly deleteToken;
  private readonly selectProfile;
  private readonly upsertDisplayname;
  private readonly upsertAvatar;
  private readonly countUsers;
  private readonly insertGuest;

  constructor(db: Db) {
    this.insertUser = db.prepare(
      'INSERT INTO users (user_id, password_hash, created_ts, is_admin, appservice_id) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectUser = db.prepare('SELECT * FROM users WHERE user_id = ?');
    this.selectUserLower = db.prepare('SELECT * FROM users WHERE lower(user_id) = lower(?)');
    this.insertToken = db.prepare('INSERT INTO access_tokens (token_hash, user_id, created_ts) VALUES (?, ?, ?)');
    this.selectToken = db.prepare('SELECT user_id FROM access_tokens WHERE token_hash = ?');
    this.deleteToken = db.prepare('DELETE FROM access_tokens WHERE token_hash = ?');
    this.selectProfile = db.prepare('SELECT * FROM profiles WHERE user_id = ?');
    this.upsertDisplayname = db.prepare(
      'INSERT INTO profiles (user_id, displayname) VALUES (?, ?) ON CONFLICT(user_id) DO UPDATE SET displayname = excluded.displayname',
    );
    this.upsertAvatar = db.prepare(
      'INSERT INTO profiles (user_id, avatar_url) VALUES (?, ?) ON CONFLICT(user_id) DO UPDATE SET avatar_url = excluded.avatar_url',
    );
    this.countUsers = db.prepare('SELECT count(*) AS n FROM users');
    this.insertGuest = db.prepare('INSERT INTO users (user_id, password_hash, created_ts, is_guest) VALUES (?, NULL, ?, 1)');
  }

  createUser(userId: string, passwordHash: string | null, now: number, opts: { admin?: boolean; appserviceId?: string } = {}): void {
    this.insertUser.run(userId, passwordHash, now, opts.admin ? 1 : 0, opts.appserviceId ?? null);
  }

  /** A guest account: no password, no profile until the guest sets one. */
  createGuest(userId: string, now: number): void {
    this.insertGuest.run(userId, now);
  }

  getUser(userId: string): UserRow | undefined {
    return this.selectUser.get(userId) as UserRow | undefined;
  }

  /** Registration and login treat user ids case-insensitively, as Synapse did. */
  findUserCaseInsensitive(userId: string): UserRow | undefined {
    return this.selectUserLower.get(userId) as UserRow | undefined;
  }

  userCount(): number {
    return (this.countUsers.get() as { n: number }).n;
  }

  addAccessToken(tokenHash: string, userId: string, now: number): void {
    this.insertToken.run(tokenHash, userId, now);
  }

  userForToken(tokenHash: string): string | undefined {
    return (this.selectToken.get(tokenHash) as { user_id: string } | undefined)?.user_id;
  }

  removeAccessToken(tokenHash: string): void {
    this.deleteToken.run(tokenHash);
  }

  getProfile(userId: string): ProfileRow | undefined {
    return this.selectProfile.get(userId) as ProfileRow | undefined;
  }

  setDisplayname(userId: string, displayname: string | null): void {
    this.upsertDisplayname.run(userId, displayname);
  }

  setAvatarUrl(userId: string, avatarUrl: string | null): void {
    this.upsertAvatar.run(userId, avatarUrl);
  }
}
