// A small generator of hostile input: values as raw JSON text (so prototype keys, -0, 1e999 and
// lone surrogates reach the server exactly as an attacker would write them), malformed ids of every
// shape, and bodies built from a template by replacing one field at a time.

/** One hostile JSON value, as the text that goes on the wire. */
export interface HostileValue {
  name: string;
  json: string;
}

export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

export const INVALID_UTF8 = Buffer.from([0xff, 0xfe, 0xc3, 0x28]);

const str = (s: string) => JSON.stringify(s);

export const HOSTILE_VALUES: HostileValue[] = [
  { name: '{"__proto__": {...}}', json: '{"__proto__":{"polluted":true,"visibility":"private"}}' },
  { name: '{"constructor": {"prototype": ...}}', json: '{"constructor":{"prototype":{"polluted":true}}}' },
  { name: '"__proto__"', json: str('__proto__') },
  { name: '"constructor"', json: str('constructor') },
  { name: '1e308', json: '1e308' },
  { name: '1e999 (Infinity once parsed)', json: '1e999' },
  { name: '2^53+1', json: '9007199254740993' },
  { name: '-0', json: '-0' },
  { name: '-1', json: '-1' },
  { name: '0.5', json: '0.5' },
  { name: '"NaN"', json: str('NaN') },
  { name: '"-Infinity"', json: str('-Infinity') },
  { name: '64 KB string', json: str('x'.repeat(64 * 1024)) },
  { name: 'control characters', json: str('a\u0000b\u0007c\u001b[2J\u007f\u0085') },
  { name: 'lone surrogate', json: '"\\ud800x"' },
  { name: 'null', json: 'null' },
  { name: 'true', json: 'true' },
  { name: 'nested arrays', json: '[[[["x"]]]]' },
  { name: '1,000 levels deep', json: '['.repeat(1000) + ']'.repeat(1000) },
];

/** Ids of every malformed shape for a sigil ('@', '!', '#', '$'); `server` is a real server name. */
export function malformedIds(sigil: string, server: string): string[] {
  const other = sigil === '@' ? '!' : '@';
  const host = server.split(':')[0];
  return [
    `${sigil}`, `${sigil}nocolon`, `${sigil}:${server}`, `${other}wrongsigil:${server}`, `${sigil}a:bad_server!`,
    `${sigil}a:${host}:99999`, `${sigil}a:[zz::1]`, `${sigil}a:`,
    `${sigil}${'x'.repeat(300)}:${server}`, `${sigil}a\u0000b:${server}`, `${sigil}a b:${server}`, `${sigil}a\u2028:${server}`,
    '__proto__', 'constructor',
  ];
}

/** Malformed server names (for media and key routes). */
export const MALFORMED_SERVER_NAMES = ['bad_server!', 'localhost:99999', 'localhost:0', '[zz::1]', 'a..b', 'a'.repeat(300), 'host/x', '__proto__'];

/** A JSON object text from fields given as [key, JSON text] (keys may repeat or be prototype keys). */
export function objectText(fields: [string, string][]): string {
  return `{${fields.map(([k, v]) => `${str(k)}:${v}`).join(',')}}`;
}

export interface HostileBody {
  name: string;
  body: string | Buffer;
}

/**
 * Bodies derived from a valid `template`: each hostile value in turn replaces one field (fields taken
 * round-robin, so each value is tried once and every field gets several), a prototype key added at the
 * top level and inside the first object field, a body that is not an object, and invalid UTF-8.
 */
export function hostileBodies(template: Record<string, unknown>): HostileBody[] {
  const fields = Object.entries(template).map(([k, v]) => [k, JSON.stringify(v)] as [string, string]);
  const out: HostileBody[] = [];
  HOSTILE_VALUES.forEach((v, i) => {
    if (fields.length === 0) return;
    const at = i % fields.length;
    const replaced = fields.map(([k, j], n) => [k, n === at ? v.json : j] as [string, string]);
    out.push({ name: `${fields[at]![0]} = ${v.name}`, body: objectText(replaced) });
  });
  for (const key of PROTOTYPE_KEYS) {
    out.push({ name: `top-level key ${key}`, body: objectText([...fields, [key, '{"polluted":true}']]) });
  }
  const firstObject = fields.findIndex(([, j]) => j.startsWith('{'));
  if (firstObject >= 0) {
    const nested = fields.map(([k, j], n) =>
      [k, n === firstObject ? objectText([['__proto__', '{"polluted":true}'], ['constructor', '1']]) : j] as [string, string]);
    out.push({ name: `${fields[firstObject]![0]} keyed __proto__`, body: objectText(nested) });
  }
  out.push({ name: 'body is an array', body: '[1,2,3]' });
  out.push({ name: 'body is a string', body: str('x') });
  out.push({
    name: 'invalid UTF-8',
    body: Buffer.concat([Buffer.from(objectText(fields).slice(0, -1) + (fields.length ? ',' : '') + '"k":"'), INVALID_UTF8, Buffer.from('"}')]),
  });
  return out;
}

/** A value as printable ASCII for a test name (TAP lines must not carry control or separator characters). */
export function printable(v: string, max = 40): string {
  const s = v.length > max ? `${v.slice(0, max)}...(${v.length})` : v;
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
