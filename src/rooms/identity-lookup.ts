// Inviting by third-party id (POST /rooms/{roomId}/invite {id_server, medium, address}): the
// identity server is asked which Matrix user the address is bound to, and the answer must carry
// its signature, checked with the key it publishes (Synapse 0.12's _lookup_3pid). An address
// bound to nobody cannot be invited here (the m.room.third_party_invite flow is not implemented).
import { Agent, request } from 'undici';
import { signatureKeyIds, verifyJsonSignature } from '../crypto/index.js';
import { isValidUserId, isJsonObject } from '../events/index.js';
import { MatrixError } from '../errors.js';

const TIMEOUT_MS = 10_000;
const MAX_BODY = 64 * 1024;
const MAX_KEYS = 4;
/** host, IPv4 or [IPv6], with an optional port: nothing that could change the URL's path. */
const ID_SERVER = /^(?:[A-Za-z0-9.-]{1,255}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

async function getJson(agent: Agent, url: string): Promise<unknown> {
  const res = await request(url, { dispatcher: agent, method: 'GET', signal: AbortSignal.timeout(TIMEOUT_MS) });
  let text = '';
  for await (const chunk of res.body) {
    text += chunk;
    if (text.length > MAX_BODY) throw new Error('identity server answer too large');
  }
  if (res.statusCode !== 200) throw new Error(`identity server answered ${res.statusCode}`);
  return JSON.parse(text);
}

/** Identity-server lookups, with their own connection pool (closed when the server stops). */
export class IdentityLookup {
  // Identity servers of the era used self-signed certificates, as homeservers did.
  private readonly agent = new Agent({ connect: { rejectUnauthorized: false, timeout: TIMEOUT_MS }, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });

  /** The user id `address` is bound to on `idServer`, or null if it is bound to nobody. */
  lookup(idServer: unknown, medium: unknown, address: unknown): Promise<string | null> {
    return lookupThreePid(this.agent, idServer, medium, address);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

async function lookupThreePid(agent: Agent, idServer: unknown, medium: unknown, address: unknown): Promise<string | null> {
  if (typeof idServer !== 'string' || !ID_SERVER.test(idServer)) throw new MatrixError(400, 'M_INVALID_PARAM', "'id_server' must be a host name");
  if (typeof medium !== 'string' || typeof address !== 'string' || medium.length > 64 || address.length > 512 || !medium || !address) {
    throw new MatrixError(400, 'M_MISSING_PARAM', "'medium' and 'address' are required");
  }
  const base = `https://${idServer}/_matrix/identity/api/v1`;
  let data: unknown;
  try {
    data = await getJson(agent, `${base}/lookup?${new URLSearchParams({ medium, address })}`);
  } catch {
    throw new MatrixError(502, 'M_UNKNOWN', 'Could not reach the identity server');
  }
  if (!isJsonObject(data) || data.mxid === undefined) return null;
  if (!isValidUserId(data.mxid)) throw new MatrixError(502, 'M_UNKNOWN', 'The identity server answered an invalid user id');
  const keyIds = signatureKeyIds(data, idServer).filter((id) => /^ed25519:[A-Za-z0-9_]{1,64}$/.test(id));
  for (const keyId of keyIds.slice(0, MAX_KEYS)) {
    try {
      const key = await getJson(agent, `${base}/pubkey/${keyId}`); // unencoded, as Synapse asked
      if (isJsonObject(key) && typeof key.public_key === 'string' && verifyJsonSignature(data, idServer, keyId, key.public_key)) {
        return data.mxid;
      }
    } catch {
      // try the next key
    }
  }
  throw new MatrixError(401, 'M_UNAUTHORIZED', 'The 3pid binding is not signed by the identity server');
}
