import { readFileSync } from 'node:fs';
import { dirname, resolve, isAbsolute } from 'node:path';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { configSchema } from './config-schema.js';

export interface ServerConfig {
  configPath: string;
  serverName: string;
  bindAddress: string;
  /** Client API port (and federation too when server_name carries a port and federation.port is not set). */
  port: number;
  publicBaseUrl: string;
  databasePath: string;
  signingKeyPath: string;
  mediaStorePath: string;
  maxUploadSize: number;
  appServiceConfigFiles: string[];
  appservice: {
    retryBackoffMinMs: number;
    retryBackoffMaxMs: number;
    requestTimeoutMs: number;
    enableLegacyHttpRegistration: boolean;
  };
  enableRegistration: boolean;
  /** register?kind=guest: read-mostly guest accounts (Synapse 0.12's allow_guest_access). */
  allowGuestAccess: boolean;
  registrationSharedSecret: string | null;
  /** Google reCAPTCHA (Synapse's keys): the m.login.recaptcha stage of v2_alpha registration. */
  recaptcha: { publicKey: string | null; privateKey: string; siteverifyApi: string; required: boolean } | null;
  rateLimiting: {
    perSecond: number;
    burst: number;
    /** Failed logins per user and per client address. */
    loginFailures: { perUser: { perSecond: number; burst: number }; perAddress: { perSecond: number; burst: number } };
    /** Password hashes computed at once, and how many may wait (beyond that: 429). */
    passwordHashConcurrency: number;
    passwordHashQueue: number;
  };
  /** TURN credentials handed to VoIP clients (GET /voip/turnServer); null when not configured. */
  turn: { uris: string[]; sharedSecret: string; userLifetimeMs: number } | null;
  federation: {
    enabled: boolean;
    /** Separate (TLS) federation listener; null when server_name has a port and federation.port is not set. */
    port: number | null;
    tls: boolean;
    tlsCertificatePath: string;
    tlsPrivateKeyPath: string;
    plainHttpLoopbackPeers: boolean;
    retryBackoffMinMs: number;
    retryBackoffMaxMs: number;
    requestTimeoutMs: number;
  };
  logLevel: string;
  /** auto: readable lines on a terminal, JSON otherwise. */
  logFormat: 'auto' | 'pretty' | 'json';
  /** True when the metrics listener runs: metrics.enabled and a metrics.port are set. */
  metricsEnabled: boolean;
  /** Prometheus listener, separate from the client port (null: none). */
  metricsPort: number | null;
  metricsBindAddress: string;
  /** A user with no event stream open for this long goes offline. */
  presenceIdleTimeoutMs: number;
  admins: string[];
  /** The admin inspector page at /_inspector/ (default: on when bound to a loopback address). */
  inspector: { enabled: boolean };
}

export class ConfigError extends Error {}

const ajv = new Ajv({ allErrors: false, strict: false });
const validate = ajv.compile(configSchema);

/** Reads and validates homeserver.yaml; every problem is one line naming the key and the file. */
export function loadConfig(configPath: string): ServerConfig {
  const path = resolve(configPath);
  return configFromObject(readYamlFile(path, 'config'), path);
}

/**
 * Reads one YAML file; every failure is a ConfigError of one line naming the file, and for a
 * key given twice (a block pasted under an existing `key: []`), the key and both lines.
 */
export function readYamlFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    return YAML.parse(text);
  } catch (err) {
    const e = err as { code?: string; linePos?: { line: number; col: number }[]; message: string };
    if (e.code === 'DUPLICATE_KEY' && e.linePos) {
      const { line, col } = e.linePos[0];
      const key = (text.split('\n')[line - 1] ?? '').slice(col - 1).replace(/\s*:.*$/, '').replace(/^["']|["']$/g, '');
      const lines = text.split('\n');
      const first = lines.findIndex((l) => l.slice(col - 1).replace(/\s*:.*$/, '').replace(/^["']|["']$/g, '') === key && l.slice(0, col - 1).trim() === '');
      const where = first >= 0 && first + 1 !== line ? `lines ${first + 1} and ${line}` : `line ${line}`;
      throw new ConfigError(`${path}: cannot read ${what}: key '${key}' appears twice (${where}); keep one and merge the values`);
    }
    throw new ConfigError(`${path}: cannot read ${what}: ${e.message.split('\n')[0]}`);
  }
}

/**
 * Validates an already parsed config (from a file, or built in code by the test kit).
 * `path` names it in errors; relative paths are resolved against its folder.
 */
export function configFromObject(raw: unknown, path: string): ServerConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${path}: the config must be a YAML mapping of keys to values`);
  }
  if (!validate(raw)) {
    const e = validate.errors![0];
    const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '';
    if (e.keyword === 'additionalProperties') {
      const key = [where, (e.params as { additionalProperty: string }).additionalProperty].filter(Boolean).join('.');
      throw new ConfigError(`${path}: unknown key '${key}'`);
    }
    if (e.keyword === 'required') {
      throw new ConfigError(`${path}: missing required key '${(e.params as { missingProperty: string }).missingProperty}'`);
    }
    throw new ConfigError(`${path}: bad value for '${where}': ${e.message}`);
  }
  return resolveConfig(raw as RawConfig, path);
}

type RawConfig = Record<string, any>;

/** SQLite's in-memory database: kept as is, never turned into a file named ":memory:". */
export const MEMORY = ':memory:';

function resolveConfig(raw: RawConfig, path: string): ServerConfig {
  const base = dirname(path);
  const rel = (p: string) => (isAbsolute(p) || p === MEMORY ? p : resolve(base, p));
  const serverName: string = raw.server_name;
  const namedPort = portOfServerName(serverName);
  const port = raw.port ?? namedPort ?? 8008;
  const fed = raw.federation ?? {};
  const as = raw.appservice ?? {};
  const rl = raw.rate_limiting ?? {};
  return {
    configPath: path,
    serverName,
    bindAddress: raw.bind_address ?? '127.0.0.1',
    port,
    publicBaseUrl: raw.public_baseurl ?? `http://localhost:${port}`,
    databasePath: rel(raw.database?.path ?? 'homeserver.db'),
    signingKeyPath: rel(raw.signing_key_path ?? `${fileSafe(serverName)}.signing.key`),
    mediaStorePath: rel(raw.media_store_path ?? 'media_store'),
    maxUploadSize: parseSize(raw.max_upload_size ?? '10M', path),
    appServiceConfigFiles: (raw.app_service_config_files ?? []).map(rel),
    appservice: {
      retryBackoffMinMs: as.retry_backoff_min_ms ?? 1000,
      retryBackoffMaxMs: as.retry_backoff_max_ms ?? 5 * 60 * 1000,
      requestTimeoutMs: as.request_timeout_ms ?? 30_000,
      enableLegacyHttpRegistration: as.enable_legacy_http_registration ?? false,
    },
    enableRegistration: raw.enable_registration ?? true,
    allowGuestAccess: raw.allow_guest_access ?? true,
    registrationSharedSecret: raw.registration_shared_secret ?? null,
    recaptcha: raw.recaptcha_private_key
      ? {
        publicKey: raw.recaptcha_public_key ?? null,
        privateKey: raw.recaptcha_private_key,
        siteverifyApi: raw.recaptcha_siteverify_api ?? 'https://www.google.com/recaptcha/api/siteverify',
        required: raw.enable_registration_captcha ?? false,
      }
      : null,
    rateLimiting: {
      perSecond: rl.per_second ?? 0.2,
      burst: rl.burst ?? 10,
      loginFailures: {
        perUser: { perSecond: rl.login_failures_per_second ?? 0.17, burst: rl.login_failures_burst ?? 3 },
        perAddress: { perSecond: rl.login_address_failures_per_second ?? 0.5, burst: rl.login_address_failures_burst ?? 10 },
      },
      passwordHashConcurrency: rl.password_hash_concurrency ?? 2,
      passwordHashQueue: rl.password_hash_queue ?? 32,
    },
    turn: raw.turn_uris?.length && raw.turn_shared_secret
      ? { uris: raw.turn_uris, sharedSecret: raw.turn_shared_secret, userLifetimeMs: parseDuration(raw.turn_user_lifetime ?? '1h', path) }
      : null,
    federation: {
      enabled: fed.enabled ?? true,
      // Explicit keys win: `server_name: "localhost:8448"` with `port: 8008` and
      // `federation: {port: 8448, tls: true}` is Synapse's 2015 topology (client API in plain
      // HTTP, federation over TLS on the port in the name). Without them a name with a port
      // means one plain-HTTP listener for both APIs.
      port: fed.port ?? (namedPort !== null ? null : 8448),
      tls: fed.tls ?? (fed.port !== undefined || namedPort === null),
      tlsCertificatePath: rel(fed.tls_certificate_path ?? `${fileSafe(serverName)}.tls.crt`),
      tlsPrivateKeyPath: rel(fed.tls_private_key_path ?? `${fileSafe(serverName)}.tls.key`),
      plainHttpLoopbackPeers: fed.plain_http_loopback_peers ?? true,
      retryBackoffMinMs: fed.retry_backoff_min_ms ?? 5000,
      retryBackoffMaxMs: fed.retry_backoff_max_ms ?? 60 * 60 * 1000,
      requestTimeoutMs: fed.request_timeout_ms ?? 60_000,
    },
    logLevel: raw.log_level ?? 'info',
    logFormat: raw.log_format ?? 'auto',
    metricsEnabled: (raw.metrics?.enabled ?? true) && raw.metrics?.port != null,
    metricsPort: raw.metrics?.port ?? null,
    metricsBindAddress: raw.metrics?.bind_address ?? '127.0.0.1',
    presenceIdleTimeoutMs: raw.presence?.idle_timeout_ms ?? 5 * 60 * 1000,
    admins: raw.admins ?? [],
    inspector: { enabled: raw.inspector?.enabled ?? isLoopback(raw.bind_address ?? '127.0.0.1') },
  };
}

export function portOfServerName(serverName: string): number | null {
  const m = /:(\d+)$/.exec(serverName);
  return m ? Number(m[1]) : null;
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(address);
}

/** A server name as a file name: the default database, key and media paths. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9.-]/g, '_');
}

function parseDuration(v: number | string, path: string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new ConfigError(`${path}: bad value for 'turn_user_lifetime': expected milliseconds or a duration like 1h`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
}

function parseSize(v: number | string, path: string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*([KMG]?)B?$/i.exec(v.trim());
  if (!m) throw new ConfigError(`${path}: bad value for 'max_upload_size': expected a size like 10M`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * mult;
}
