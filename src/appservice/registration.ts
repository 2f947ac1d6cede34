// Application service registration files (appservice.md §2), validated at start-up.
import { createHash } from 'node:crypto';
import { Ajv } from 'ajv';
import { ConfigError, readYamlFile } from '../config.js';

export type TxnPath = 'legacy' | 'modern' | 'modern_then_legacy';

export interface Namespace {
  regex: RegExp;
  source: string;
  exclusive: boolean;
}

export interface AppService {
  id: string;
  url: string;
  asToken: string;
  hsToken: string;
  senderLocalpart: string;
  namespaces: { users: Namespace[]; aliases: Namespace[]; rooms: Namespace[] };
  rateLimited: boolean;
  protocols: string[];
  txnPath: TxnPath;
  /** Where it came from: a file path, or "legacy HTTP registration". */
  source: string;
}

const namespaceList = {
  type: ['array', 'null'],
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['regex', 'exclusive'],
    properties: { regex: { type: 'string', minLength: 1 }, exclusive: { type: 'boolean' } },
  },
};

// Unknown keys are refused: `rate_limted: true` must not start as if the key were absent.
const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'as_token', 'hs_token', 'sender_localpart', 'namespaces'],
  properties: {
    id: { type: 'string', minLength: 1 },
    url: { type: 'string', pattern: '^https?://' },
    as_token: { type: 'string', minLength: 1 },
    hs_token: { type: 'string', minLength: 1 },
    sender_localpart: { type: 'string', pattern: '^[a-z0-9._=\\-/]+$' },
    namespaces: {
      type: 'object',
      additionalProperties: false,
      properties: { users: namespaceList, aliases: namespaceList, rooms: namespaceList },
    },
    rate_limited: { type: 'boolean' },
    protocols: { type: ['array', 'null'], items: { type: 'string' } },
    transaction_path: { enum: ['legacy', 'modern', 'modern_then_legacy'] },
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: false }).compile(schema);

/** Python's re.match: anchored at the start only. */
export function namespaceRegex(source: string, where: string): RegExp {
  try {
    return new RegExp(`^(?:${source})`);
  } catch (e) {
    throw new ConfigError(`${where}: invalid regex '${source}': ${(e as Error).message}`);
  }
}

/** Parses one registration (from YAML text or an already parsed object). */
export function parseRegistration(raw: unknown, where: string): AppService {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${where}: a registration must be a YAML mapping of keys to values`);
  }
  if (!validate(raw)) {
    const e = validate.errors![0];
    // /namespaces/users/1 -> namespaces.users[1]: the exact entry, as the file's author counts them
    const path = e.instancePath.split('/').slice(1).reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
    const at = path ? `${path}: ` : '';
    const what =
      e.keyword === 'required' ? `${at}missing required key '${(e.params as { missingProperty: string }).missingProperty}'` :
      e.keyword === 'additionalProperties' ? `${at}unknown key '${(e.params as { additionalProperty: string }).additionalProperty}'` :
      `bad value for '${path}': ${e.message}`;
    throw new ConfigError(`${where}: ${what}`);
  }
  const r = raw as Record<string, any>;
  const ns = (kind: 'users' | 'aliases' | 'rooms'): Namespace[] =>
    (r.namespaces[kind] ?? []).map((n: { regex: string; exclusive: boolean }) => ({
      regex: namespaceRegex(n.regex, where), source: n.regex, exclusive: n.exclusive,
    }));
  return {
    // The id gets logged; the token must not, so a default id is a hash of it.
    id: r.id ?? `as_${createHash('sha256').update(r.as_token).digest('hex').slice(0, 12)}`,
    url: r.url.replace(/\/+$/, ''),
    asToken: r.as_token,
    hsToken: r.hs_token,
    senderLocalpart: r.sender_localpart,
    namespaces: { users: ns('users'), aliases: ns('aliases'), rooms: ns('rooms') },
    rateLimited: r.rate_limited ?? false,
    protocols: r.protocols ?? [],
    txnPath: r.transaction_path ?? 'legacy',
    source: where,
  };
}

export function loadRegistrationFile(path: string): AppService {
  return parseRegistration(readYamlFile(path, 'application service registration'), path);
}

/**
 * Refuses registrations that clash: the same as_token or id twice, or exclusive namespaces
 * that overlap. Regex overlap is undecidable in general; we catch identical regexes and
 * regexes whose literal prefixes are prefixes of each other (`@irc_.*` vs `@irc_freenode_.*`).
 */
export function checkConflicts(services: AppService[]): void {
  for (let i = 0; i < services.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = services[i];
      const b = services[j];
      if (a.asToken === b.asToken) throw new ConfigError(`${a.source}: as_token is already used by ${b.source}`);
      if (a.id === b.id) throw new ConfigError(`${a.source}: id '${a.id}' is already used by ${b.source}`);
      for (const kind of ['users', 'aliases', 'rooms'] as const) {
        for (const x of a.namespaces[kind].filter((n) => n.exclusive)) {
          for (const y of b.namespaces[kind].filter((n) => n.exclusive)) {
            if (mayOverlap(x.source, y.source)) {
              throw new ConfigError(`${a.source}: exclusive ${kind} namespace '${x.source}' overlaps '${y.source}' of ${b.source}`);
            }
          }
        }
      }
    }
  }
}

function mayOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const pa = literalPrefix(a);
  const pb = literalPrefix(b);
  return pa.startsWith(pb) || pb.startsWith(pa);
}

/** The characters a regex must start with (up to its first metacharacter). */
function literalPrefix(re: string): string {
  const m = /^[^\\^$.|?*+()[\]{}]*/.exec(re.replace(/^\^/, ''));
  const prefix = m ? m[0] : '';
  // A quantifier applies to the last literal, which is then optional.
  const next = re.replace(/^\^/, '')[prefix.length];
  return next === '?' || next === '*' || next === '{' ? prefix.slice(0, -1) : prefix;
}
