// Servers with an admin for the inspector tests; the browser is driven by puppeteer-core.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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

export interface Browser {
  page: import('puppeteer-core').Page;
  /** Writes a PNG of the current view into the test's screenshot folder; returns its path. */
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Headless Debian chromium driven by puppeteer-core (no browser download), logged in to the inspector. */
export async function openInspector(executablePath: string, baseUrl: string, shotsDir: string, user = 'admin', password = ADMIN_PASSWORD): Promise<Browser> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath, headless: true, timeout: 60_000, protocolTimeout: 120_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  page.setDefaultTimeout(60_000); // a loaded CI machine, not a speed assertion
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${baseUrl}/_inspector/`, { waitUntil: 'load' });
  await page.waitForSelector('#login-form');
  await page.type('#login-user', user);
  await page.type('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('main[data-ready="rooms"]');
  return {
    page,
    async shot(name: string) {
      const path = join(shotsDir, `${name}.png`);
      await page.screenshot({ path: path as `${string}.png` });
      return path;
    },
    async close() {
      await browser.close();
      if (errors.length) throw new Error(`errors in the page: ${errors.join('; ')}`);
    },
  };
}

/** Switches the page to a view (#/rooms, #/room/<id>, ...) and waits until it has drawn. */
export async function goTo(page: Browser['page'], hash: string, ready: string): Promise<void> {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForSelector(`main[data-ready="${ready}"]`);
}
