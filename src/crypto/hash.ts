import { createHash } from 'node:crypto';
import { encodeBase64 } from './base64.js';

/** Unpadded base64 of SHA-256; strings are hashed as UTF-8. */
export function sha256Base64(data: string | Uint8Array): string {
  return encodeBase64(sha256(data));
}

export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}
