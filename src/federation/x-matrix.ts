// The X-Matrix request signature (events-and-crypto.md §9). Pure: signing and parsing only.
import { signJson, type SigningKey } from '../crypto/index.js';

export interface SignedRequest {
  method: string;
  uri: string;
  origin: string;
  destination: string;
  content?: unknown;
}

/** The JSON object both sides sign/verify; `content` only when the request has a JSON body. */
export function requestJson(r: SignedRequest): Record<string, unknown> {
  const obj: Record<string, unknown> = { method: r.method.toUpperCase(), uri: r.uri, origin: r.origin, destination: r.destination };
  if (r.content !== undefined) obj.content = r.content;
  return obj;
}

/** `X-Matrix origin=...,key="...",sig="..."`, as Synapse 0.10 writes it (origin unquoted). */
export function authorizationHeader(r: SignedRequest, key: SigningKey): string {
  const signed = signJson(requestJson(r), r.origin, key) as { signatures: Record<string, Record<string, string>> };
  const sig = signed.signatures[r.origin]![key.keyId]!;
  return `X-Matrix origin=${r.origin},key="${key.keyId}",sig="${sig}"`;
}

export interface XMatrixParams {
  origin: string;
  key: string;
  sig: string;
}

/** Parses one Authorization header value; null when it is not X-Matrix or lacks a parameter. */
export function parseXMatrix(header: string): XMatrixParams | null {
  const m = /^X-Matrix\s+(.*)$/i.exec(header.trim());
  if (!m) return null;
  const params: Record<string, string> = Object.create(null); // names come from the peer
  for (const part of m[1]!.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim().toLowerCase();
    let value = part.slice(i + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    params[name] = value;
  }
  const { origin, key, sig } = params;
  if (!origin || !key || !sig) return null;
  return { origin, key, sig };
}
