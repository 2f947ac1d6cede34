// Streams bytes to a new file while counting and hashing them, so a file of any size passes
// through a bounded amount of memory and an oversized one is stopped at the limit.
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface ReceivedFile {
  length: number;
  /** Lower-case hex. */
  sha256: string;
}

export class FileTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`File is larger than the limit of ${limit} bytes`);
  }
}

export class SourceAbortedError extends Error {}

export interface ReceiveOptions {
  maxBytes: number;
  /**
   * What to do with the source when we stop early: 'drain' reads and drops the rest (an HTTP
   * request, so the client still gets our answer on a usable connection); 'destroy' closes it
   * (a download from a peer we no longer want).
   */
  onStop: 'drain' | 'destroy';
}

/** Writes `source` to `path` (which must not exist); on any failure the partial file is removed. */
export function receiveToFile(source: Readable, path: string, opts: ReceiveOptions): Promise<ReceivedFile> {
  return new Promise<ReceivedFile>((resolve, reject) => {
    const out = createWriteStream(path, { flags: 'wx' });
    const hash = createHash('sha256');
    let length = 0;
    let settled = false;

    const detach = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onSourceError);
      source.off('close', onClose);
      out.off('drain', onDrain);
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      detach();
      // Whatever the source reports after we stopped listening is of no interest any more.
      source.on('error', () => undefined);
      if (opts.onStop === 'drain') source.resume();
      else source.destroy();
      // The partial file is removed only once the write stream has let go of it.
      const removePartial = () => void unlink(path).catch(() => undefined).finally(() => reject(err));
      out.destroy();
      if (out.closed) removePartial();
      else out.once('close', removePartial);
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > opts.maxBytes) return fail(new FileTooLargeError(opts.maxBytes));
      hash.update(chunk);
      if (!out.write(chunk)) source.pause();
    };
    const onDrain = () => {
      if (!settled) source.resume();
    };
    const onEnd = () => {
      if (settled) return;
      detach();
      out.end(() => {
        if (settled) return;
        settled = true;
        resolve({ length, sha256: hash.digest('hex') });
      });
    };
    const onSourceError = (err: Error) => fail(new SourceAbortedError(err.message));
    // A client that disconnects mid-upload closes the request without 'end'.
    const onClose = () => {
      if (!source.readableEnded) fail(new SourceAbortedError('connection closed before the end of the file'));
    };

    out.on('error', (err) => fail(err));
    out.on('drain', onDrain);
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onSourceError);
    source.on('close', onClose);
    source.resume();
  });
}
