// The notary key query (federation-v1.md §9.2): servers' own key responses from our cache, each
// with our signature added. Our own response is answered directly. Anyone may ask, so the
// query is bounded: at most MAX_SERVERS valid server names, each fetched at most once a minute
// (the keyring's rule), through the bounded outbound slots, never echoing why a fetch failed.
import { signJson, type SigningKey } from '../crypto/index.js';
import { isJsonObject, isValidServerName } from '../events/index.js';
import { MatrixError, badJson } from '../errors.js';
import type { Keyring } from './keyring.js';

const MAX_SERVERS = 100;
const MAX_KEY_IDS = 100;

/** What the notary needs: who we are, and the cache of other servers' key responses (null: federation off). */
export interface NotaryDeps {
  serverName: string;
  signingKey: SigningKey;
  cachedResponse: ((server: string, minimumValidUntil: number) => Promise<string | null>) | null;
}

export async function notaryQuery(
  deps: NotaryDeps, serverKeys: unknown, ownResponse: () => Record<string, unknown>,
): Promise<{ server_keys: Record<string, unknown>[] }> {
  if (!isJsonObject(serverKeys)) throw badJson("'server_keys' must be an object of server names");
  const entries = Object.entries(serverKeys);
  if (entries.length > MAX_SERVERS) {
    throw new MatrixError(400, 'M_INVALID_PARAM', `At most ${MAX_SERVERS} servers per key query`);
  }
  const wants: { server: string; minimum: number }[] = [];
  for (const [server, wanted] of entries) {
    if (!isValidServerName(server)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid server name in key query');
    let minimum = 0;
    if (isJsonObject(wanted)) {
      const criteria = Object.values(wanted);
      if (criteria.length > MAX_KEY_IDS) throw new MatrixError(400, 'M_INVALID_PARAM', `At most ${MAX_KEY_IDS} key ids per server`);
      for (const c of criteria) {
        const m = isJsonObject(c) ? c.minimum_valid_until_ts : undefined;
        if (typeof m === 'number' && m > minimum) minimum = m;
      }
    }
    wants.push({ server, minimum });
  }
  const answers = await Promise.all(wants.map(async ({ server, minimum }) => {
    if (server === deps.serverName) return ownResponse();
    const text = deps.cachedResponse ? await deps.cachedResponse(server, minimum) : null;
    return text ? signJson(JSON.parse(text) as Record<string, unknown>, deps.serverName, deps.signingKey) : null;
  }));
  return { server_keys: answers.filter((a): a is Record<string, unknown> => a !== null) };
}
