import type { Db } from './db.js';

export interface LocalMediaRow {
  media_id: string;
  content_type: string;
  length: number;
  sha256: string;
  upload_name: string | null;
  uploader: string;
  created_ts: number;
}

export interface RemoteMediaRow {
  origin: string;
  media_id: string;
  file_id: string;
  content_type: string;
  length: number;
  sha256: string;
  upload_name: string | null;
  fetched_ts: number;
}

export interface ThumbnailRow {
  /** '' for local media. */
  origin: string;
  media_id: string;
  width: number;
  height: number;
  method: string;
  content_type: string;
  length: number;
  file_id: string;
}

export class MediaStore {
  private readonly insertLocal;
  private readonly selectLocal;
  private readonly insertRemote;
  private readonly selectRemote;
  private readonly insertThumb;
  private readonly selectThumb;

  constructor(db: Db) {
    this.insertLocal = db.prepare(`INSERT INTO local_media (media_id, content_type, length, sha256, upload_name, uploader, created_ts)
      VALUES (@media_id, @content_type, @length, @sha256, @upload_name, @uploader, @created_ts)`);
    this.selectLocal = db.prepare('SELECT * FROM local_media WHERE media_id = ?');
    this.insertRemote = db.prepare(`INSERT INTO remote_media (origin, media_id, file_id, content_type, length, sha256, upload_name, fetched_ts)
      VALUES (@origin, @media_id, @file_id, @content_type, @length, @sha256, @upload_name, @fetched_ts)`);
    this.selectRemote = db.prepare('SELECT * FROM remote_media WHERE origin = ? AND media_id = ?');
    this.insertThumb = db.prepare(`INSERT OR IGNORE INTO media_thumbnails (origin, media_id, width, height, method, content_type, length, file_id)
      VALUES (@origin, @media_id, @width, @height, @method, @content_type, @length, @file_id)`);
    this.selectThumb = db.prepare(`SELECT * FROM media_thumbnails
      WHERE origin = ? AND media_id = ? AND width = ? AND height = ? AND method = ? AND content_type = ?`);
  }

  addLocalMedia(row: LocalMediaRow): void {
    this.insertLocal.run(row);
  }

  localMedia(mediaId: string): LocalMediaRow | undefined {
    return this.selectLocal.get(mediaId) as LocalMediaRow | undefined;
  }

  addRemoteMedia(row: RemoteMediaRow): void {
    this.insertRemote.run(row);
  }

  remoteMedia(origin: string, mediaId: string): RemoteMediaRow | undefined {
    return this.selectRemote.get(origin, mediaId) as RemoteMediaRow | undefined;
  }

  /** False when a thumbnail with the same key was recorded first (the caller keeps that one). */
  addThumbnail(row: ThumbnailRow): boolean {
    return this.insertThumb.run(row).changes === 1;
  }

  thumbnail(origin: string, mediaId: string, width: number, height: number, method: string, contentType: string): ThumbnailRow | undefined {
    return this.selectThumb.get(origin, mediaId, width, height, method, contentType) as ThumbnailRow | undefined;
  }
}
