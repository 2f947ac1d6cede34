// Helpers over raw JSON text. Signed JSON from other servers is kept byte-for-byte: parsing
// and re-stringifying would move integer-like keys to the front and turn 1.0 into 1, and a
// later hash or signature check by a third server would then fail.
//
// One small string-aware scanner. Input is assumed to have passed JSON.parse already, but
// every loop advances or throws, so malformed text cannot hang it.

const SAFE_INT_RE = /^-?(0|[1-9][0-9]*)$/;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

/** i is at the opening quote; returns the index just past the closing quote. */
function skipString(text: string, i: number): number {
  i++;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i += 2;
    else if (c === 0x22 /* " */) return i + 1;
    else i++;
  }
  throw new Error('Unterminated string in JSON');
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

/** Returns the index just past the value starting at i (after whitespace was skipped). */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return skipString(text, i);
  if (c === 0x7b /* { */ || c === 0x5b /* [ */) return skipContainer(text, i);
  const start = i;
  // number or literal: everything up to the next delimiter
  while (i < text.length && !isDelimiter(text.charCodeAt(i))) i++;
  if (i === start) throw new Error(`Unexpected character at offset ${start} in JSON`);
  return i;
}

function isDelimiter(c: number): boolean {
  return isWs(c) || c === 0x2c || c === 0x3a || c === 0x5d || c === 0x7d || c === 0x22 || c === 0x7b || c === 0x5b;
}

function skipContainer(text: string, i: number): number {
  let depth = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = skipString(text, i);
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  throw new Error('Unterminated object or array in JSON');
}

/** First number token that is not a canonical safe integer, ignoring numbers in strings. */
export function findNonIntegerNumber(text: string): string | null {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = skipString(text, i);
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      while (i < text.length && isNumberChar(text.charCodeAt(i))) i++;
      const token = text.slice(start, i);
      if (!isCanonicalSafeInteger(token)) return token;
    } else {
      i++;
    }
  }
  return null;
}

function isCanonicalSafeInteger(token: string): boolean {
  return SAFE_INT_RE.test(token) && token !== '-0' && Number.isSafeInteger(Number(token));
}

interface Member {
  key: string;
  start: number; // offset of the key's opening quote
  valueStart: number;
  valueEnd: number;
}

interface ObjectLayout {
  open: number; // offset of '{'
  close: number; // offset of '}'
  members: Member[];
}

function scanObject(text: string): ObjectLayout {
  const open = skipWs(text, 0);
  if (text.charCodeAt(open) !== 0x7b) throw new Error('JSON text is not an object');
  const members: Member[] = [];
  let i = skipWs(text, open + 1);
  if (text.charCodeAt(i) === 0x7d) return { open, close: i, members };
  for (;;) {
    if (text.charCodeAt(i) !== 0x22) throw new Error(`Expected a key at offset ${i} in JSON`);
    const start = i;
    i = skipString(text, i);
    const key = JSON.parse(text.slice(start, i)) as string;
    i = skipWs(text, i);
    if (text.charCodeAt(i) !== 0x3a) throw new Error(`Expected ':' at offset ${i} in JSON`);
    const valueStart = skipWs(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    members.push({ key, start, valueStart, valueEnd });
    i = skipWs(text, valueEnd);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return { open, close: i, members };
    if (c !== 0x2c) throw new Error(`Expected ',' or '}' at offset ${i} in JSON`);
    i = skipWs(text, i + 1);
  }
}

function arrayElements(text: string, open: number, end: number): string[] {
  const out: string[] = [];
  let i = skipWs(text, open + 1);
  if (text.charCodeAt(i) === 0x5d) return out;
  while (i < end) {
    const valueEnd = skipValue(text, i);
    out.push(text.slice(i, valueEnd));
    i = skipWs(text, valueEnd);
    const c = text.charCodeAt(i);
    if (c === 0x5d) return out;
    if (c !== 0x2c) throw new Error(`Expected ',' or ']' at offset ${i} in JSON`);
    i = skipWs(text, i + 1);
  }
  throw new Error('Unterminated array in JSON');
}

/** Raw texts of the elements of top-level member `key`, or null if it is absent or not an array. */
export function topLevelArrayElements(text: string, key: string): string[] | null {
  let layout: ObjectLayout;
  try {
    layout = scanObject(text);
  } catch {
    return null;
  }
  // JSON.parse keeps the last of duplicate keys, so must we.
  const m = layout.members.filter((x) => x.key === key).pop();
  if (!m || text.charCodeAt(m.valueStart) !== 0x5b) return null;
  return arrayElements(text, m.valueStart, m.valueEnd);
}

/**
 * Replaces (or appends, or with undefined removes) top-level member `key`, leaving every
 * other byte as it was. Duplicate occurrences of `key` are all replaced by one.
 */
export function setTopLevelMember(text: string, key: string, valueJson: string | undefined): string {
  let layout = scanObject(text);
  let matches = layout.members.filter((m) => m.key === key);
  while (matches.length > (valueJson === undefined ? 0 : 1)) {
    text = removeMember(text, layout, layout.members.indexOf(matches[0]!));
    layout = scanObject(text);
    matches = layout.members.filter((m) => m.key === key);
  }
  if (valueJson === undefined) return text;
  const m = matches[0];
  if (m) return text.slice(0, m.valueStart) + valueJson + text.slice(m.valueEnd);
  const member = JSON.stringify(key) + ':' + valueJson;
  const last = layout.members[layout.members.length - 1];
  if (last) return text.slice(0, last.valueEnd) + ',' + member + text.slice(last.valueEnd);
  return text.slice(0, layout.open + 1) + member + text.slice(layout.open + 1);
}

function removeMember(text: string, layout: ObjectLayout, index: number): string {
  const m = layout.members[index]!;
  const prev = layout.members[index - 1];
  const next = layout.members[index + 1];
  if (prev) return text.slice(0, prev.valueEnd) + text.slice(m.valueEnd); // drops ",<member>"
  if (next) return text.slice(0, m.start) + text.slice(next.start); // drops "<member>,"
  return text.slice(0, m.start) + text.slice(m.valueEnd);
}
