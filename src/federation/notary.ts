// The notary key query (federation-v1.md §9.2): servers' own key responses from our cache, each
// with our signature added. Our own response is answered directly.
import type { Homeserver } from '../homeserver.js';
import { signJson } from '../crypto/index.js';
import { isJsonObject, isValidServerName } from '../events/index.js';
import { badJson } from '../errors.js';

export async function notaryQuery(
  hs: Homeserver, serverKeys: unknown, ownResponse: () => Record<string, unknown>,
): Promise<{ server_keys: Record<string, unknown>[] }> {
  if (!isJsonObject(serverKeys)) throw badJson("'server_keys' must be an object of server names");
  const out: Record<string, unknown>[] = [];
  for (const [server, wanted] of Object.entries(serverKeys)) {
    if (!isValidServerName(server)) continue;
    if (server === hs.serverName) {
      out.push(ownResponse());
      continue;
    }
    let minimum = 0;
    if (isJsonObject(wanted)) {
      for (const criteria of Object.values(wanted)) {
        const m = isJsonObject(criteria) ? criteria.minimum_valid_until_ts : undefined;
        if (typeof m === 'number' && m > minimum) minimum = m;
      }
    }
    const text = hs.federation ? await hs.federation.keyring.cachedResponse(server, minimum) : null;
    if (!text) continue;
    out.push(signJson(JSON.parse(text) as Record<string, unknown>, hs.serverName, hs.signingKey));
  }
  return { server_keys: out };
}
