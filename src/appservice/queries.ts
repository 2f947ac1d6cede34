// Asking services about ids in their namespaces that we do not know (appservice.md §4):
// they may create the user or room during the request. Never called inside a db transaction.
import { request } from 'undici';
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { ServerConfig } from '../config.js';
import type { AppServiceRegistry } from './registry.js';
import type { AppService } from './registration.js';

export class AppServiceQueries {
  constructor(
    private readonly storage: Storage,
    private readonly config: Pick<ServerConfig, 'appservice'>,
    private readonly log: Logger,
    private readonly registry: AppServiceRegistry,
  ) {}

  /** GET {url}/rooms/{alias} to each interested service; true once one says it exists. */
  async alias(alias: string): Promise<boolean> {
    for (const s of this.registry.aliasOwners(alias)) {
      if (await this.ask(s, 'rooms', alias)) return true;
    }
    return false;
  }

  /** GET {url}/users/{userId}; true if the user exists afterwards. */
  async user(userId: string): Promise<boolean> {
    if (this.storage.users.getUser(userId)) return true;
    for (const s of this.registry.userOwners(userId)) {
      if ((await this.ask(s, 'users', userId)) && this.storage.users.getUser(userId)) return true;
    }
    return false;
  }

  /** Tries the registration's paths in turn (modern_then_legacy: the versioned one first). */
  private async ask(s: AppService, kind: 'rooms' | 'users', id: string): Promise<boolean> {
    const prefixes = s.txnPath === 'legacy' ? [''] : s.txnPath === 'modern' ? ['/_matrix/app/v1'] : ['/_matrix/app/v1', ''];
    for (const prefix of prefixes) {
      if (await this.get(s, `${s.url}${prefix}/${kind}/${encodeURIComponent(id)}`, kind, id)) return true;
    }
    return false;
  }

  private async get(s: AppService, url: string, kind: string, id: string): Promise<boolean> {
    const timeout = this.config.appservice.requestTimeoutMs;
    const log = this.log.child({ appservice: s.id });
    try {
      const res = await request(`${url}?access_token=${encodeURIComponent(s.hsToken)}`, {
        method: 'GET',
        headers: { authorization: `Bearer ${s.hsToken}` },
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      const text = await res.body.text();
      let errcode: unknown;
      try {
        errcode = JSON.parse(text)?.errcode;
      } catch {
        errcode = undefined;
      }
      // matrix-appservice 0.2 reports a failed provisioning as 200 {"errcode": ...}: not found.
      const found = res.statusCode >= 200 && res.statusCode < 300 && errcode === undefined;
      log.info({ kind, id, status: res.statusCode, errcode, found }, 'appservice query answered');
      return found;
    } catch (err) {
      log.warn({ kind, id, reason: (err as { code?: string }).code ?? (err as Error).message }, 'appservice query failed');
      return false;
    }
  }
}
