import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Api } from './http/api.js';
import { setupServer, frameworkErrors, clientErrorHandler } from './http/server-setup.js';
import { accessLog } from './http/access-log.js';
import { decorateRequester } from './http/auth.js';
import { exactJsonContentType } from './http/json-content-type.js';
import { keyRoutes } from './http/keys.js';
import { clientRoomRoutes } from './http/client-rooms.js';
import { metricsRoutes } from './http/metrics.js';
import { clientAccountRoutes } from './http/client-accounts.js';
import { clientSyncRoutes } from './http/client-sync.js';
import { clientProfileRoutes } from './http/client-profile.js';
import { clientDirectoryRoutes } from './http/client-directory.js';
import { clientMiscRoutes } from './http/client-misc.js';
import { appserviceRoutes } from './http/appservice.js';
import { federationRoutes } from './http/federation.js';
import { mediaRoutes } from './http/media.js';
import { adminRoutes } from './http/admin.js';
import { inspectorRoutes } from './http/inspector.js';
import { clientV2Routes } from './http/client-v2.js';
import { clientE2eRoutes } from './http/client-e2e.js';
import { clientSearchRoutes } from './http/client-search.js';

export type { Api } from './http/api.js';

/** A route table: registers its routes, calling only what the Api offers. */
export type RouteModule = (app: FastifyInstance, api: Api) => Promise<void>;

/** Every API's route table, in one place. */
const ROUTE_MODULES: RouteModule[] = [metricsRoutes, keyRoutes, clientAccountRoutes, clientRoomRoutes, clientSyncRoutes, clientProfileRoutes,
  clientDirectoryRoutes, clientMiscRoutes, appserviceRoutes, federationRoutes, mediaRoutes, adminRoutes, inspectorRoutes,
  clientV2Routes, clientE2eRoutes, clientSearchRoutes];

/** Builds the Fastify app over the services; listening is the caller's business (main.ts, tests). */
export async function buildApp(api: Api, extraRoutes: RouteModule[] = []): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: api.log.child({ component: 'http' }) as FastifyBaseLogger,
    // Fastify's own request log prints the raw URL, access_token included: we log our own line.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 8 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 1000 },
    requestIdHeader: false,
    // Routing errors and unparsable requests answer {errcode, error} like every other error.
    frameworkErrors,
    clientErrorHandler,
    return503OnClosing: false, // answered in Matrix form by setupServer
    // Schemas check, never change: no type coercion, no defaults, no removed keys (the handler
    // sees what the client sent; signed JSON stays as received).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, allowUnionTypes: true } },
  });
  await setupServer(app);
  decorateRequester(app);
  exactJsonContentType(app);
  // Stopping: answer waiting long-polls now instead of holding the shutdown for their timeout.
  app.addHook('preClose', async () => api.notifier.shutdown());
  await accessLog(app, api);
  for (const mod of [...ROUTE_MODULES, ...extraRoutes]) await mod(app, api);
  return app;
}
