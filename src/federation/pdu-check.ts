// The federation side of the PDU checks (events/pdu-check.ts holds the rules): the keys a PDU
// needs are resolved with our Keyring (cached, or fetched from their server), then checked purely.
import type { KeyObject } from 'node:crypto';
import {
  checkUnsignedJoin, keysWanted, pduShapeError, precheckPdu, PduRejected, verifyPdu, type CheckedPdu, type VerifyKeys, type Pdu,
} from '../events/index.js';
import type { Keyring } from './keyring.js';

export { checkUnsignedJoin, pduShapeError, PduRejected, type CheckedPdu };

/** The public keys a PDU's signatures need, as the keyring knows them (or can fetch them). */
async function resolveKeys(pdu: Pdu, keyring: Keyring): Promise<VerifyKeys> {
  const known = new Map<string, Map<string, KeyObject>>();
  for (const [server, keyIds] of keysWanted(pdu)) {
    if (keyIds.length > 0) known.set(server, await keyring.keysFor(server, keyIds));
  }
  return { key: (server, keyId) => known.get(server)?.get(keyId) ?? null };
}

/**
 * Throws PduRejected when the PDU must not be accepted at all. `raw` is the PDU's exact text;
 * `parsed` is JSON.parse(raw). Nothing is fetched for a PDU that fails the checks needing no key.
 */
export async function checkPdu(raw: string, parsed: unknown, keyring: Keyring, now: number): Promise<CheckedPdu> {
  const pdu = precheckPdu(raw, parsed);
  return verifyPdu(raw, pdu, await resolveKeys(pdu, keyring), now);
}

/** Parses and checks one PDU given as text (from a response body). */
export async function checkPduText(raw: string, keyring: Keyring, now: number): Promise<CheckedPdu> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new PduRejected('PDU is not JSON');
  }
  return checkPdu(raw, parsed, keyring, now);
}
