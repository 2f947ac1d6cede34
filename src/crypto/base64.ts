// Matrix uses the standard alphabet without padding everywhere in this era.

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export function encodeBase64(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  return s.slice(0, end);
}

/**
 * Accepts padded and unpadded input. Non-zero trailing bits are tolerated because the
 * official test-vector seed has them; anything outside the alphabet is an error.
 */
export function decodeBase64(s: string): Buffer {
  if (!BASE64_RE.test(s)) throw new Error('Invalid base64: unexpected character');
  const unpadded = s.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) throw new Error('Invalid base64: impossible length');
  if (s.length !== unpadded.length && s.length % 4 !== 0) {
    throw new Error('Invalid base64: bad padding');
  }
  return Buffer.from(unpadded, 'base64');
}
