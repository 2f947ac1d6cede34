// E2E keys of users on other servers, asked over federation; a failing server contributes nothing.
import type { Logger } from 'pino';
import { isJsonObject, type JsonObject } from '../events/index.js';
import type { RemoteKeys } from './keys.js';

/** The one federation call remote key queries need. */
export interface KeysFederationClient {
  requestOk(server: string, method: string, path: string, o: { body: JsonObject }): Promise<{ json: unknown }>;
}

/** Asks other servers; `client` is null when federation is off (then no server is asked). */
export function federationRemoteKeys(client: KeysFederationClient | null, log: Logger): RemoteKeys {
  const ask = async (server: string, path: string, body: JsonObject): Promise<JsonObject | null> => {
    if (!client) return null;
    try {
      const res = await client.requestOk(server, 'POST', `/_matrix/federation/v1${path}`, { body });
      return isJsonObject(res.json) ? res.json : null;
    } catch (err) {
      log.warn({ err, server }, 'remote e2e keys request failed');
      return null;
    }
  };
  return {
    query: (server, deviceKeys) => ask(server, '/user/keys/query', { device_keys: deviceKeys }),
    claim: (server, oneTimeKeys) => ask(server, '/user/keys/claim', { one_time_keys: oneTimeKeys }),
  };
}
