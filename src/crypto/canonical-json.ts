// Matrix canonical JSON: the single encoder behind every hash and signature.
// Equivalent to Python's json.dumps(v, ensure_ascii=False, separators=(',',':'), sort_keys=True)
// restricted to safe integers, which is what 2015 Synapse signed and hashed.

export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
}

// Deep enough for any real event; stops runaway recursion on cyclic input.
const MAX_DEPTH = 256;

/**
 * Orders strings by Unicode code point. Plain `<` compares UTF-16 code units, which puts
 * astral characters (surrogates D800-DFFF) before U+E000-U+FFFF; shifting the code units at the
 * first difference fixes exactly that case without allocating.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

function codeUnitRank(c: number): number {
  if (c >= 0xd800 && c <= 0xdfff) return c + 0x2000; // surrogates sort above the BMP
  if (c >= 0xe000) return c - 0x800;
  return c;
}

export function canonicalJson(value: unknown): string {
  if (value === undefined) throw new CanonicalJsonError('Cannot encode undefined');
  return encode(value, 0);
}

export function canonicalJsonBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function encode(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      // JSON.stringify on a string gives exactly the minimal escapes with raw non-ASCII.
      return JSON.stringify(value);
    case 'number':
      return encodeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new CanonicalJsonError('JSON nested too deeply');
      return Array.isArray(value) ? encodeArray(value, depth) : encodeObject(value, depth);
    default:
      throw new CanonicalJsonError(`Cannot encode a ${typeof value} as canonical JSON`);
  }
}

function encodeNumber(n: number): string {
  if (!Number.isSafeInteger(n)) {
    throw new CanonicalJsonError(`Number ${n} is not an integer in the safe range`);
  }
  return n === 0 ? '0' : String(n); // -0 is written as 0
}

function encodeArray(arr: unknown[], depth: number): string {
  const parts: string[] = new Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (v === undefined) throw new CanonicalJsonError('Cannot encode undefined inside an array');
    parts[i] = encode(v, depth + 1);
  }
  return '[' + parts.join(',') + ']';
}

function encodeObject(obj: object, depth: number): string {
  const rec = obj as Record<string, unknown>;
  const keys = Object.keys(rec).sort(compareCodePoints);
  const parts: string[] = [];
  for (const k of keys) {
    const v = rec[k];
    if (v === undefined) continue; // as JSON.stringify does
    parts.push(JSON.stringify(k) + ':' + encode(v, depth + 1));
  }
  return '{' + parts.join(',') + '}';
}
