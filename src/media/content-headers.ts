// Response headers built from stored, client-supplied values: they must never let a file name or
// content type inject a header, and byte ranges are parsed strictly.

/** A media type as a client may declare it: printable ASCII, `type/subtype` with optional parameters. */
const MEDIA_TYPE = /^[A-Za-z0-9][\w!#$&^.+-]*\/[\w!#$&^.+-]+(\s*;[\x20-\x7e]*)?$/;

export function isValidContentType(v: string): boolean {
  return v.length <= 255 && MEDIA_TYPE.test(v);
}

/**
 * As Synapse 0.12 (SyTest 51media compares the header exactly, so this wins over RFC 6266's
 * quoted form): no header without a name; `inline; filename=<name>` for an ASCII name and
 * `inline; filename*=utf-8''<name>` (RFC 5987) otherwise, the name percent-encoded as Python's
 * urllib.quote does (only letters, digits, `_.-/` stay), so quotes, CR/LF and `;` cannot escape.
 */
export function contentDisposition(fileName: string | null | undefined): string | undefined {
  if (!fileName) return undefined;
  const encoded = pythonQuote(fileName);
  return /^[\x00-\x7f]*$/.test(fileName) ? `inline; filename=${encoded}` : `inline; filename*=utf-8''${encoded}`;
}

function pythonQuote(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/').replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** A file name from a peer's Content-Disposition (quoted, token or RFC 5987 form), or null. */
export function fileNameFromDisposition(header: string | undefined): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*utf-8''([^;\s]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]!);
    } catch {
      return null;
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(header);
  const name = plain ? (plain[1] ?? plain[2] ?? null) : null;
  if (name === null) return null;
  try {
    return decodeURIComponent(name); // Synapse percent-encodes ASCII names too
  } catch {
    return name;
  }
}

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * One `bytes=` range of a file of `size` bytes (inclusive ends), 'unsatisfiable', or null to
 * serve the whole file (no header, several ranges or a malformed one, which RFC 7233 lets us ignore).
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
