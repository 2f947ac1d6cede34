// Media wiring: the repository of one homeserver, with remote media when federation is on.
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { Storage } from '../storage/index.js';
import type { SigningKey } from '../crypto/index.js';
import type { PeerHealth } from '../federation/peers.js';
import { MediaFiles } from './media-files.js';
import { MediaRepository } from './media-repository.js';
import { RemoteMedia } from './remote-media.js';

export { MediaRepository, type MediaFile } from './media-repository.js';

export interface MediaDeps {
  config: ServerConfig;
  storage: Storage;
  serverName: string;
  signingKey: SigningKey;
  clock: () => number;
  log: Logger;
  /** The federation client's view of peers (null: federation is off, no remote media). */
  peers: PeerHealth | null;
}

/** The repository, and what stops its remote fetches. */
export function buildMedia(deps: MediaDeps): { repository: MediaRepository; close: () => Promise<void> } {
  const { config } = deps;
  const log = deps.log.child({ component: 'media' });
  const files = new MediaFiles(config.mediaStorePath);
  const remote = deps.peers
    ? new RemoteMedia(deps.storage, files, {
      serverName: deps.serverName, signingKey: deps.signingKey, maxBytes: config.maxUploadSize,
      plainHttpLoopback: config.federation.plainHttpLoopbackPeers, timeoutMs: config.federation.requestTimeoutMs,
      clock: deps.clock, peers: deps.peers,
    }, log)
    : null;
  const repository = new MediaRepository(deps.storage, files, remote, {
    serverName: deps.serverName, maxUploadSize: config.maxUploadSize, clock: deps.clock,
  }, log);
  return { repository, close: async () => { if (remote) await remote.close(); } };
}
