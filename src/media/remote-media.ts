// Remote media (`mxc://other.server/id`): fetched once from the origin's download endpoint,
// streamed to disk while hashed and measured, recorded in remote_media, then served from there
// even when the origin is gone. Concurrent requests for one file share one fetch.
import { Agent } from 'undici';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { RemoteMediaRow } from '../storage/media.js';
import type { SigningKey } from '../crypto/index.js';
import { MatrixError, notFound, tooLarge } from '../errors.js';
import { PeerResolver, type PeerHealth } from '../federation/peers.js';
import { authorizationHeader } from '../federation/x-matrix.js';
import { MediaFiles, newMediaId } from './media-files.js';
import { receiveToFile, FileTooLargeError } from './receive-file.js';
import { fileNameFromDisposition, isValidContentType } from './content-headers.js';

export interface RemoteMediaOptions {
  serverName: string;
  signingKey: SigningKey;
  maxBytes: number;
  plainHttpLoopback: boolean;
  timeoutMs: number;
  clock: () => number;
  /** Reachability and outbound slots shared with federation: a failing origin is left alone. */
  peers: PeerHealth;
}

export class RemoteMedia {
  private readonly agent: Agent;
  private readonly resolver: PeerResolver;
  private readonly inFlight = new Map<string, Promise<RemoteMediaRow>>();
  private readonly aborter = new AbortController();

  constructor(
    private readonly storage: Storage,
    private readonly files: MediaFiles,
    private readonly opts: RemoteMediaOptions,
    private readonly log: Logger,
  ) {
    // 2015 servers used self-signed certificates; identity is not what a media fetch relies on.
    this.agent = new Agent({
      connect: { rejectUnauthorized: false, timeout: Math.min(opts.timeoutMs, 20_000) },
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    this.resolver = new PeerResolver(opts.plainHttpLoopback, opts.clock);
  }

  /** The cached copy, fetching it first if this is the first request for it. */
  get(origin: string, mediaId: string): Promise<RemoteMediaRow> {
    const cached = this.storage.media.remoteMedia(origin, mediaId);
    if (cached) return Promise.resolve(cached);
    const key = `${origin}/${mediaId}`;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.fetch(origin, mediaId).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  /**
   * Anyone may name any origin in a download URL: the fetch honours the origin's backoff, takes
   * a bounded outbound slot, and a failure answers only `could not reach <origin>` (the socket
   * error goes to the log, never to the client).
   */
  private async fetch(origin: string, mediaId: string): Promise<RemoteMediaRow> {
    if (this.opts.peers.backoffMs(origin) > 0) throw this.unreachable(origin, 'in backoff after a failure');
    try {
      return await this.opts.peers.slot(() => this.fetchNow(origin, mediaId));
    } catch (err) {
      if (err instanceof MatrixError) throw err;
      throw this.unreachable(origin, (err as Error).message);
    }
  }

  private unreachable(origin: string, why: string): MatrixError {
    this.log.warn({ origin, err: why }, 'could not fetch remote media');
    return new MatrixError(502, 'M_UNKNOWN', `could not reach ${origin}`);
  }

  private async fetchNow(origin: string, mediaId: string): Promise<RemoteMediaRow> {
    const path = `/_matrix/media/v1/download/${encodeURIComponent(origin)}/${encodeURIComponent(mediaId)}`;
    const body = await this.request(origin, path);
    const { headers } = body;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.opts.maxBytes) {
      body.stream.on('error', () => undefined).destroy();
      throw tooLarge(`The remote file is larger than this server's max_upload_size (${this.opts.maxBytes} bytes)`);
    }
    const tmp = this.files.tempPath();
    let received;
    try {
      received = await receiveToFile(body.stream, tmp, { maxBytes: this.opts.maxBytes, onStop: 'destroy' });
    } catch (err) {
      if (err instanceof FileTooLargeError) throw tooLarge(`The remote file is larger than this server's max_upload_size (${err.limit} bytes)`);
      throw this.unreachable(origin, (err as Error).message);
    }
    const fileId = newMediaId();
    try {
      await this.files.commit(tmp, 'remote_content', fileId);
    } catch (err) {
      await this.files.discard(tmp);
      throw err;
    }
    const type = headerString(headers['content-type']);
    const row: RemoteMediaRow = {
      origin, media_id: mediaId, file_id: fileId,
      content_type: type && isValidContentType(type) ? type : 'application/octet-stream',
      length: received.length, sha256: received.sha256,
      upload_name: fileNameFromDisposition(headerString(headers['content-disposition'])),
      fetched_ts: this.opts.clock(),
    };
    this.storage.media.addRemoteMedia(row);
    this.log.info({ origin, mediaId, length: row.length }, 'cached remote media');
    return row;
  }

  private async request(origin: string, path: string): Promise<{ stream: Readable; headers: Record<string, string | string[] | undefined> }> {
    const { peers } = this.opts;
    let base: string;
    try {
      ({ origin: base } = await this.resolver.resolve(origin));
    } catch (err) {
      peers.failed(origin);
      throw this.unreachable(origin, (err as Error).message);
    }
    // Signed like any federation request (media servers of 2015 also accepted a plain GET).
    const authorization = authorizationHeader(
      { method: 'GET', uri: path, origin: this.opts.serverName, destination: origin }, this.opts.signingKey,
    );
    let res;
    try {
      res = await this.agent.request({
        origin: base, path, method: 'GET', headers: { host: origin, authorization },
        // Stalls are bounded by headersTimeout/bodyTimeout; a total deadline would cut big files.
        signal: this.aborter.signal,
      });
    } catch (err) {
      if (!this.aborter.signal.aborted) peers.failed(origin);
      throw this.unreachable(origin, (err as Error).message);
    }
    peers.succeeded(origin);
    if (res.statusCode === 200) return { stream: res.body, headers: res.headers };
    const text = await res.body.text().catch(() => '');
    if (res.statusCode === 404) throw notFound(`Media not found on ${origin}`);
    throw this.unreachable(origin, `answered ${res.statusCode} ${text.slice(0, 200)}`);
  }

  async close(): Promise<void> {
    this.aborter.abort();
    await this.agent.close().catch(() => undefined);
  }
}

function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
