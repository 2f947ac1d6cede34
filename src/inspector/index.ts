// Wiring of the admin inspector: one service and one live feed, built by the composition root
// only when the inspector is enabled (a server with it disabled builds nothing).
import type { Storage } from '../storage/index.js';
import type { EventPersister } from '../rooms/persist.js';
import { InspectorService } from './inspector-service.js';
import { LiveFeed } from './live.js';

export interface Inspector {
  service: InspectorService;
  live: LiveFeed;
}

/** The inspector's service and live feed (built only when the inspector is enabled). */
export function createInspector(d: { storage: Storage; persister: EventPersister; isAdmin: (userId: string) => boolean; onClose: (fn: () => void) => void }): Inspector {
  const service = new InspectorService(d.storage, { isAdmin: d.isAdmin });
  const live = new LiveFeed(d.persister, service);
  d.onClose(() => live.stop());
  return { service, live };
}

export { InspectorService } from './inspector-service.js';
export { clientBundle, PAGE_HTML, PAGE_CSS } from './page.js';
