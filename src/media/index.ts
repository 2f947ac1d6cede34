// Media wiring: one MediaRepository per homeserver, made on first use by the media routes.
import type { Homeserver } from '../homeserver.js';
import { MediaFiles } from './media-files.js';
import { MediaRepository } from './media-repository.js';
import { RemoteMedia } from './remote-media.js';

export { MediaRepository, type MediaFile } from './media-repository.js';

const repositories = new WeakMap<Homeserver, MediaRepository>();

export function mediaRepositoryOf(hs: Homeserver): MediaRepository {
  let repo = repositories.get(hs);
  if (repo) return repo;
  const { config } = hs;
  const log = hs.log.child({ component: 'media' });
  const files = new MediaFiles(config.mediaStorePath);
  const remote = hs.federation
    ? new RemoteMedia(hs.storage, files, {
      serverName: hs.serverName, signingKey: hs.signingKey, maxBytes: config.maxUploadSize,
      plainHttpLoopback: config.federation.plainHttpLoopbackPeers, timeoutMs: config.federation.requestTimeoutMs,
      clock: hs.clock, peers: hs.federation.client.peers,
    }, log)
    : null;
  if (remote) hs.onClose(() => remote.close());
  repo = new MediaRepository(hs.storage, files, remote, {
    serverName: hs.serverName, maxUploadSize: config.maxUploadSize, clock: hs.clock,
  }, log);
  repositories.set(hs, repo);
  return repo;
}
