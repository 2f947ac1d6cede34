import type { Db } from './db.js';

export interface RoomRow {
  room_id: string;
  creator: string | null;
  is_public: number;
  created_ts: number;
}

export interface AliasRow {
  room_alias: string;
  room_id: string;
  creator: string | null;
  servers: string[];
}

export class RoomsStore {
  private readonly insertRoom;
  private readonly selectRoom;
  private readonly updatePublic;
  private readonly selectPublic;
  private readonly insertAlias;
  private readonly selectAlias;
  private readonly deleteAliasStmt;
  private readonly selectAliasesForRoom;
  private readonly insertForgotten;
  private readonly deleteForgotten;
  private readonly selectForgotten;

  constructor(db: Db) {
    this.insertRoom = db.prepare('INSERT OR IGNORE INTO rooms (room_id, creator, is_public, created_ts) VALUES (?, ?, ?, ?)');
    this.selectRoom = db.prepare('SELECT * FROM rooms WHERE room_id = ?');
    this.updatePublic = db.prepare('UPDATE rooms SET is_public = ? WHERE room_id = ?');
    this.selectPublic = db.prepare('SELECT room_id FROM rooms WHERE is_public = 1 ORDER BY created_ts');
    this.insertAlias = db.prepare('INSERT INTO room_aliases (room_alias, room_id, creator, servers_json) VALUES (?, ?, ?, ?)');
    this.selectAlias = db.prepare('SELECT * FROM room_aliases WHERE room_alias = ?');
    this.deleteAliasStmt = db.prepare('DELETE FROM room_aliases WHERE room_alias = ?');
    this.selectAliasesForRoom = db.prepare('SELECT room_alias FROM room_aliases WHERE room_id = ? ORDER BY room_alias');
    this.insertForgotten = db.prepare('INSERT OR IGNORE INTO forgotten_rooms (user_id, room_id) VALUES (?, ?)');
    this.deleteForgotten = db.prepare('DELETE FROM forgotten_rooms WHERE user_id = ? AND room_id = ?');
    this.selectForgotten = db.prepare('SELECT room_id FROM forgotten_rooms WHERE user_id = ?');
  }

  createRoom(roomId: string, creator: string | null, isPublic: boolean, now: number): void {
    this.insertRoom.run(roomId, creator, isPublic ? 1 : 0, now);
  }

  getRoom(roomId: string): RoomRow | undefined {
    return this.selectRoom.get(roomId) as RoomRow | undefined;
  }

  setPublic(roomId: string, isPublic: boolean): void {
    this.updatePublic.run(isPublic ? 1 : 0, roomId);
  }

  publicRoomIds(): string[] {
    return (this.selectPublic.all() as { room_id: string }[]).map((r) => r.room_id);
  }

  /** Returns false when the alias is already taken. */
  createAlias(alias: string, roomId: string, creator: string | null, servers: string[]): boolean {
    const r = this.selectAlias.get(alias);
    if (r) return false;
    this.insertAlias.run(alias, roomId, creator, JSON.stringify(servers));
    return true;
  }

  getAlias(alias: string): AliasRow | undefined {
    const r = this.selectAlias.get(alias) as (Omit<AliasRow, 'servers'> & { servers_json: string }) | undefined;
    if (!r) return undefined;
    return { room_alias: r.room_alias, room_id: r.room_id, creator: r.creator, servers: JSON.parse(r.servers_json) };
  }

  deleteAlias(alias: string): boolean {
    return this.deleteAliasStmt.run(alias).changes > 0;
  }

  forget(userId: string, roomId: string): void {
    this.insertForgotten.run(userId, roomId);
  }

  /** Joining again brings a forgotten room back. */
  unforget(userId: string, roomId: string): void {
    this.deleteForgotten.run(userId, roomId);
  }

  forgottenRooms(userId: string): Set<string> {
    return new Set((this.selectForgotten.all(userId) as { room_id: string }[]).map((r) => r.room_id));
  }

  aliasesForRoom(roomId: string): string[] {
    return (this.selectAliasesForRoom.all(roomId) as { room_alias: string }[]).map((r) => r.room_alias);
  }
}
