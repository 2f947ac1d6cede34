// Media wiring: the repository over local files and, when federation is on, remote media.
import type { Logger } from 'pino';
import type { HomeserverConfig } from '../config.js';
import type { Storage } from '../storage/index.js';
import type { SigningKey } from '../crypto/index.js';
import type { PeerHealth } from '../federation/peers.js';
import { MediaFiles } from './media-files.js';
import { MediaRepository } from './media-repository.js';
import { RemoteMedia } from './remote-media.js';

export { MediaRepository, type MediaFile } from './media-repository.js';

export interface MediaDeps {
  config: HomeserverConfig;
  storage: Storage;
  signingKey: SigningKey;
  clock: () => number;
  log: Logger;
  /** Peer reachability shared with federation; null when federation is off (no remote media). */
  peers: PeerHealth | null;
  /** Registers what to close when the server stops. */
  onClose: (fn: () => void | Promise<void>) => void;
}

export function createMediaRepository(d: MediaDeps): MediaRepository {
  const { config } = d;
  const log = d.log.child({ component: 'media' });
  const files = new MediaFiles(config.mediaStorePath);
  const remote = d.peers
    ? new RemoteMedia(d.storage, files, {
      serverName: config.serverName, signingKey: d.signingKey, maxBytes: config.maxUploadSize,
      plainHttpLoopback: config.federation.plainHttpLoopbackPeers, timeoutMs: config.federation.requestTimeoutMs,
      clock: d.clock, peers: d.peers,
    }, log)
    : null;
  if (remote) d.onClose(() => remote.close());
  return new MediaRepository(d.storage, files, remote, {
    serverName: config.serverName, maxUploadSize: config.maxUploadSize, clock: d.clock,
  }, log);
}
