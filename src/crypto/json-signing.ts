// Signing and verifying arbitrary JSON objects (events-and-crypto.md §7.1-7.2).
import { decodeBase64, encodeBase64 } from './base64.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { signBytes, verifyBytes, type PublicKey } from './ed25519.js';
import type { SigningKey } from './signing-key.js';

type Signatures = Record<string, Record<string, string>>;

/** The bytes a signature covers: the object minus `signatures` and `unsigned`. */
export function signedBytes(obj: object): Buffer {
  const { signatures: _s, unsigned: _u, ...rest } = obj as Record<string, unknown>;
  return canonicalJsonBytes(rest);
}

export function signJson<T extends object>(obj: T, signingName: string, key: SigningKey): T {
  const rec = obj as Record<string, unknown>;
  const sig = encodeBase64(signBytes(key.privateKey, signedBytes(obj)));
  const existing = isObject(rec.signatures) ? (rec.signatures as Signatures) : {};
  const signatures: Signatures = { ...existing, [signingName]: { ...existing[signingName], [key.keyId]: sig } };
  const { signatures: _s, unsigned, ...rest } = rec;
  const out: Record<string, unknown> = { ...rest, signatures };
  if (unsigned !== undefined) out.unsigned = unsigned;
  return out as T;
}

export function verifyJsonSignature(
  obj: object,
  signingName: string,
  keyId: string,
  publicKey: PublicKey,
): boolean {
  try {
    const sigB64 = signaturesOf(obj)?.[signingName]?.[keyId];
    if (typeof sigB64 !== 'string') return false;
    return verifyBytes(publicKey, signedBytes(obj), decodeBase64(sigB64));
  } catch {
    return false; // bad base64, unencodable JSON, malformed key...
  }
}

/** The ed25519 key ids `signingName` has signed with; other algorithms are ignored. */
export function signatureKeyIds(obj: object, signingName: string): string[] {
  const byName = signaturesOf(obj)?.[signingName];
  if (!isObject(byName)) return [];
  return Object.keys(byName).filter((k) => k.startsWith('ed25519:'));
}

function signaturesOf(obj: object): Partial<Signatures> | undefined {
  const s = (obj as Record<string, unknown>).signatures;
  return isObject(s) ? (s as Partial<Signatures>) : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
