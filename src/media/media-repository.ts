// The media repository service: uploads, lookups of local and cached remote media, thumbnails.
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import { isValidServerName } from '../events/index.js';
import { MatrixError, notFound, tooLarge, unknown } from '../errors.js';
import { MediaFiles, newMediaId } from './media-files.js';
import { receiveToFile, FileTooLargeError, SourceAbortedError } from './receive-file.js';
import type { RemoteMedia } from './remote-media.js';
import { isValidContentType } from './content-headers.js';
import {
  isThumbnailable, notAnImage, outputTypeFor, renderThumbnail, MAX_THUMBNAIL_SIDE, type ThumbnailMethod, type ThumbnailType,
} from './thumbnailer.js';

/** A complete file on disk and what to tell the client about it. */
export interface MediaFile {
  path: string;
  contentType: string;
  length: number;
  uploadName: string | null;
}

export interface UploadRequest {
  uploader: string;
  /** As sent; application/octet-stream when the client sent none. */
  contentType: string | undefined;
  uploadName: string | undefined;
  /** Content-Length when the client sent one (chunked uploads have none). */
  declaredLength: number | undefined;
}

export interface ThumbnailRequest {
  width: number;
  height: number;
  method: ThumbnailMethod;
  type?: string;
}

// Media ids we accept in paths: ours are letters; other servers' may use URL-safe characters.
const MEDIA_ID = /^[A-Za-z0-9_.=-]{1,255}$/;
const MAX_UPLOAD_NAME = 255;

export class MediaRepository {
  private readonly thumbsInFlight = new Map<string, Promise<MediaFile>>();

  constructor(
    private readonly storage: Storage,
    readonly files: MediaFiles,
    /** null when federation is disabled: only our own media can be served. */
    private readonly remote: RemoteMedia | null,
    private readonly opts: { serverName: string; maxUploadSize: number; clock: () => number },
    private readonly log: Logger,
  ) {}

  /** Streams an upload to disk and records it; resolves to its mxc:// URI. */
  async upload(source: Readable, req: UploadRequest): Promise<string> {
    const contentType = req.contentType?.trim() || 'application/octet-stream';
    if (!isValidContentType(contentType)) throw unknown(`Invalid Content-Type: ${JSON.stringify(contentType.slice(0, 100))}`);
    if (req.uploadName !== undefined && [...req.uploadName].length > MAX_UPLOAD_NAME) {
      throw unknown(`filename is longer than ${MAX_UPLOAD_NAME} characters`);
    }
    const limit = this.opts.maxUploadSize;
    if (req.declaredLength !== undefined && req.declaredLength > limit) throw uploadTooLarge(limit);
    const tmp = this.files.tempPath();
    let received;
    try {
      received = await receiveToFile(source, tmp, { maxBytes: limit, onStop: 'drain' });
    } catch (err) {
      if (err instanceof FileTooLargeError) throw uploadTooLarge(limit);
      if (err instanceof SourceAbortedError) throw unknown(`Upload interrupted: ${err.message}`);
      throw err;
    }
    const mediaId = newMediaId();
    try {
      await this.files.commit(tmp, 'local_content', mediaId);
    } catch (err) {
      await this.files.discard(tmp);
      throw err;
    }
    this.storage.media.addLocalMedia({
      media_id: mediaId, content_type: contentType, length: received.length, sha256: received.sha256,
      upload_name: req.uploadName || null, uploader: req.uploader, created_ts: this.opts.clock(),
    });
    this.log.info({ mediaId, length: received.length, uploader: req.uploader }, 'media uploaded');
    return `mxc://${this.opts.serverName}/${mediaId}`;
  }

  /** Local media, or remote media from the cache (fetched on first use); 404 when unknown. */
  async find(serverName: string, mediaId: string): Promise<MediaFile> {
    if (!MEDIA_ID.test(mediaId)) throw notFound('Unknown media');
    if (serverName === this.opts.serverName) {
      const row = this.storage.media.localMedia(mediaId);
      if (!row) throw notFound('Unknown media');
      return {
        path: this.files.pathOf('local_content', row.media_id), contentType: row.content_type,
        length: row.length, uploadName: row.upload_name,
      };
    }
    if (!isValidServerName(serverName)) throw notFound('Unknown media');
    if (!this.remote) throw notFound('Remote media is unavailable: federation is disabled on this server');
    const row = await this.remote.get(serverName, mediaId);
    return {
      path: this.files.pathOf('remote_content', row.file_id), contentType: row.content_type,
      length: row.length, uploadName: row.upload_name,
    };
  }

  /** A thumbnail of an image, rendered once per size, method and type and then served from disk. */
  async thumbnail(serverName: string, mediaId: string, req: ThumbnailRequest): Promise<MediaFile> {
    const source = await this.find(serverName, mediaId);
    if (!isThumbnailable(source.contentType)) {
      throw notAnImage(`Cannot thumbnail media of type ${source.contentType}: it is not an image`);
    }
    const width = Math.min(req.width, MAX_THUMBNAIL_SIDE);
    const height = Math.min(req.height, MAX_THUMBNAIL_SIDE);
    const type = outputTypeFor(source.contentType, req.type);
    const origin = serverName === this.opts.serverName ? '' : serverName;
    const row = this.storage.media.thumbnail(origin, mediaId, width, height, req.method, type);
    if (row) return this.thumbnailFile(row.file_id, type, row.length);
    const key = [origin, mediaId, width, height, req.method, type].join('\n');
    let p = this.thumbsInFlight.get(key);
    if (!p) {
      p = this.render(source, { origin, mediaId, width, height, method: req.method, type }).finally(() => this.thumbsInFlight.delete(key));
      this.thumbsInFlight.set(key, p);
    }
    return p;
  }

  private async render(
    source: MediaFile,
    t: { origin: string; mediaId: string; width: number; height: number; method: ThumbnailMethod; type: ThumbnailType },
  ): Promise<MediaFile> {
    const tmp = this.files.tempPath();
    let length: number;
    try {
      length = await renderThumbnail(source.path, tmp, t);
    } catch (err) {
      await this.files.discard(tmp);
      throw err;
    }
    const fileId = newMediaId();
    const path = await this.files.commit(tmp, 'thumbnails', fileId);
    const added = this.storage.media.addThumbnail({
      origin: t.origin, media_id: t.mediaId, width: t.width, height: t.height, method: t.method,
      content_type: t.type, length, file_id: fileId,
    });
    if (!added) {
      await this.files.discard(path);
      const row = this.storage.media.thumbnail(t.origin, t.mediaId, t.width, t.height, t.method, t.type)!;
      return this.thumbnailFile(row.file_id, t.type, row.length);
    }
    return this.thumbnailFile(fileId, t.type, length);
  }

  private thumbnailFile(fileId: string, type: string, length: number): MediaFile {
    return { path: this.files.pathOf('thumbnails', fileId), contentType: type, length, uploadName: null };
  }
}

function uploadTooLarge(limit: number): MatrixError {
  return tooLarge(`Upload is larger than the limit of ${limit} bytes (max_upload_size)`);
}
