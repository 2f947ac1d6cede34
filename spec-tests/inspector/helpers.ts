// Servers with an admin for the inspector tests; the browser is driven by puppeteer-core.
import { execFileSync } from 'node:child_process';
import { startServer, freePort, Client, http, type TestServer, type TestServerOptions } from '../helpers/server.js';
import { FED_CONFIG } from '../federation/helpers.js';

export const INSPECTOR = '/_matrix/client/api/v1/admin/inspector';
export const ADMIN_PASSWORD = 'inspector admin password';

/** A server whose `admin` user is listed in `admins:`; the admin is registered and logged in. */
export async function startWithAdmin(opts: { federating?: boolean; config?: Record<string, unknown>; dir?: string; port?: number } = {}):
  Promise<{ server: TestServer; admin: Client }> {
  const port = opts.port ?? (await freePort());
  const server = await startServer({
    port, dir: opts.dir,
    config: { ...(opts.federating ? FED_CONFIG : {}), admins: [`@admin:localhost:${port}`], ...opts.config },
  } satisfies TestServerOptions);
  const admin = opts.dir ? await login(server, 'admin') : await Client.register(server, 'admin', ADMIN_PASSWORD);
  return { server, admin };
}

export async function login(server: { url: string }, user: string, password = ADMIN_PASSWORD): Promise<Client> {
  const res = await http(server.url, 'POST', '/_matrix/client/api/v1/login', { body: { type: 'm.login.password', user, password } });
  if (res.status !== 200) throw new Error(`login ${user}: ${res.status} ${res.text}`);
  return new Client(server.url, res.body.access_token, res.body.user_id);
}

/** The Debian chromium binary, or null when it is not installed (the browser tests then skip). */
export function chromiumPath(): string | null {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const p = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      // not this one
    }
  }
  return null;
}
