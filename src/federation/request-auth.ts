// Inbound X-Matrix verification (events-and-crypto.md §9): the signed object is rebuilt from the
// request-target exactly as received, our name as destination, and the parsed JSON body.
import type { FastifyRequest } from 'fastify';
import { canonicalJson, verifyJsonSignature } from '../crypto/index.js';
import { isValidServerName } from '../events/index.js';
import { badJson, unauthorized } from '../errors.js';
import type { Keyring } from './keyring.js';
import { parseXMatrix, requestJson } from './x-matrix.js';

/** Returns the authenticated origin server name; throws 401/400 M_UNAUTHORIZED. */
export async function authenticateRequest(req: FastifyRequest, serverName: string, keyring: Keyring): Promise<string> {
  const header = req.headers.authorization;
  if (!header) throw unauthorized('Missing Authorization headers');
  const p = parseXMatrix(header);
  if (!p) throw unauthorized('Malformed Authorization header: expected X-Matrix origin=...,key="...",sig="..."', 400);
  if (!isValidServerName(p.origin)) throw unauthorized(`Invalid origin ${JSON.stringify(p.origin)}`, 400);
  if (!p.key.startsWith('ed25519:')) throw unauthorized(`Unsupported key algorithm in ${p.key}`);
  const hasBody = (req.method === 'PUT' || req.method === 'POST') && req.rawBody !== undefined && req.rawBody.trim() !== '';
  const signed = {
    ...requestJson({ method: req.method, uri: req.raw.url ?? req.url, origin: p.origin, destination: serverName, content: hasBody ? req.body : undefined }),
    signatures: { [p.origin]: { [p.key]: p.sig } },
  };
  try {
    canonicalJson(signed);
  } catch (err) {
    // Floats (or unsafe integers) have no canonical form: such a body cannot have been signed by us.
    throw badJson(`Request body cannot be canonically encoded: ${(err as Error).message}`);
  }
  const keys = await keyring.keysFor(p.origin, [p.key]);
  const key = keys.get(p.key);
  if (!key) throw unauthorized(`Unknown key ${p.key} for ${p.origin} (could not fetch its keys)`);
  if (!verifyJsonSignature(signed, p.origin, p.key, key)) throw unauthorized(`Invalid signature from ${p.origin} with ${p.key}`);
  return p.origin;
}
