// Wiring of the admin inspector: one service and one live feed per homeserver, built on first use
// by the inspector's route table (so a server with the inspector disabled builds nothing).
import type { Homeserver } from '../homeserver.js';
import { InspectorService } from './inspector-service.js';
import { AdminService } from '../admin/admin-service.js';
import { LiveFeed } from './live.js';

export interface Inspector {
  service: InspectorService;
  live: LiveFeed;
}

const byServer = new WeakMap<Homeserver, Inspector>();

export function inspectorFor(hs: Homeserver): Inspector {
  let insp = byServer.get(hs);
  if (!insp) {
    // Admin rights are the admin API's: the `admins:` list or users stored with is_admin.
    const admins = new AdminService({ storage: hs.storage, config: hs.config, appservices: hs.appservices.registry, clock: hs.clock });
    const service = new InspectorService(hs.storage, { isAdmin: (userId) => admins.isAdmin(userId) });
    const live = new LiveFeed(hs.persister, service);
    hs.onClose(() => live.stop());
    insp = { service, live };
    byServer.set(hs, insp);
  }
  return insp;
}

export { InspectorService } from './inspector-service.js';
export { clientBundle, PAGE_HTML, PAGE_CSS } from './page.js';
