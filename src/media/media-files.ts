// Where media lives on disk. Every file name is one of our own random ids, sharded two levels
// deep so no directory grows huge; nothing a client or peer sends ever becomes part of a path.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { randomLetters } from '../random.js';

export type MediaKind = 'local_content' | 'remote_content' | 'thumbnails';

/** Media ids: 24 random letters (about 137 bits), as Synapse made them. */
export function newMediaId(): string {
  return randomLetters(24);
}

/** Our ids are letters only; this guards the path builder against anything else. */
const OWN_ID = /^[A-Za-z]{16,64}$/;

export class MediaFiles {
  private readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
    mkdirSync(this.tmpDir, { recursive: true });
    // Leftovers of a crash mid-upload: nothing refers to them.
    for (const name of readdirSync(this.tmpDir)) rmSync(join(this.tmpDir, name), { force: true });
  }

  pathOf(kind: MediaKind, fileId: string): string {
    if (!OWN_ID.test(fileId)) throw new Error(`not one of our media file ids: ${JSON.stringify(fileId)}`);
    return join(this.root, kind, fileId.slice(0, 2), fileId.slice(2, 4), fileId.slice(4));
  }

  /** A fresh path in the temp folder, for a file that is not complete yet. */
  tempPath(): string {
    return join(this.tmpDir, `${randomLetters(24)}.part`);
  }

  /** Moves a complete temp file to its place (same filesystem, so the move is atomic). */
  async commit(tmp: string, kind: MediaKind, fileId: string): Promise<string> {
    const dest = this.pathOf(kind, fileId);
    await mkdir(dirname(dest), { recursive: true });
    await rename(tmp, dest);
    return dest;
  }

  async discard(path: string): Promise<void> {
    await unlink(path).catch(() => undefined);
  }
}
