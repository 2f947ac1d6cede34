// The admin inspector: one service and one live feed per homeserver (the feed listens to the
// persister, so the composition root builds it before the persister).
import { InspectorService } from './inspector-service.js';
import { AdminService, type AdminDeps } from '../admin/admin-service.js';
import { LiveFeed } from './live.js';
import { clientBundler } from './page.js';

export interface Inspector {
  service: InspectorService;
  live: LiveFeed;
  /** The page's script, bundled on first request. */
  clientBundle: () => Promise<string>;
}

/** Admin rights are the admin API's: the `admins:` list or users stored with is_admin. */
export function buildInspector(deps: AdminDeps): Inspector {
  const admins = new AdminService(deps);
  const service = new InspectorService(deps.storage, { isAdmin: (userId) => admins.isAdmin(userId) });
  return { service, live: new LiveFeed(service), clientBundle: clientBundler() };
}

export { InspectorService } from './inspector-service.js';
export { PAGE_HTML, PAGE_CSS } from './page.js';
