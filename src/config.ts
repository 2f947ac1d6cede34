import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve, isAbsolute } from 'node:path';
import { randomBytes } from 'node:crypto';
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

function fileSafe(name: string): string {
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

export interface GenerateOptions {
  serverName: string;
  port?: number;
  /** Where the client API listens (127.0.0.1 unless given; 0.0.0.0 in the Docker image). */
  bindAddress?: string;
  /** The committed sample leaves the shared secret out; generated configs get a fresh one. */
  withSecret?: boolean;
}

/** The commented default config written on first start or by --generate-config. */
export function defaultConfigText(opts: GenerateOptions): string {
  const namedPort = portOfServerName(opts.serverName);
  const port = opts.port ?? namedPort ?? 8008;
  const slug = fileSafe(opts.serverName);
  return `# homeserver.yaml — generated ${new Date().toISOString()}
# Paths are relative to the folder of this file.

# The domain part of every id on this server: @alice:${opts.serverName}, #room:${opts.serverName}.
# A name with a port (localhost:8009) is reached on that port, which serves both APIs.
server_name: "${opts.serverName}"

# Where the client API listens (plain HTTP).
bind_address: "${opts.bindAddress ?? '127.0.0.1'}"
port: ${port}
public_baseurl: "http://localhost:${port}"

database:
  # SQLite file (WAL mode). Created and migrated on start.
  path: "${slug}.db"

# Synapse's key file format: "ed25519 <version> <base64 seed>". Generated if missing.
signing_key_path: "${slug}.signing.key"

media_store_path: "${slug}.media_store"
max_upload_size: "10M"

# Registration files of application services (bridges, bots).
app_service_config_files: []
appservice:
  retry_backoff_min_ms: 1000      # first retry after a failed transaction
  retry_backoff_max_ms: 300000    # backoff cap (use a few seconds while developing a bridge)
  request_timeout_ms: 30000
  enable_legacy_http_registration: false   # the early-2015 POST /_matrix/appservice/v1/register

enable_registration: true
# Guest accounts (POST /v2_alpha/register?kind=guest): they may read world_readable rooms and
# join rooms whose m.room.guest_access is can_join.
allow_guest_access: true
# Lets an admin script register users with an HMAC (org.matrix.login.shared_secret).
registration_shared_secret: ${opts.withSecret === false ? 'null' : `"${randomBytes(24).toString('base64url')}"`}

# Per-user token bucket for sending events (Synapse defaults: 0.2/s, burst 10).
rate_limiting:
  per_second: 0.2
  burst: 10
  # Failed logins: after the burst, 429 M_LIMIT_EXCEEDED (with retry_after_ms) until the bucket
  # refills, per user (Synapse's later 0.17/s, burst 3) and per client address.
  login_failures_per_second: 0.17
  login_failures_burst: 3
  login_address_failures_per_second: 0.5
  login_address_failures_burst: 10
  # Password hashes (scrypt, on the thread pool) computed at once; more wait in a queue of
  # this length, and beyond it get 429: a login storm cannot starve the server.
  password_hash_concurrency: 2
  password_hash_queue: 32

# TURN server for VoIP calls: clients get time-limited credentials (HMAC-SHA1 with the secret,
# as coturn's --use-auth-secret expects). Leave turn_uris empty to hand out none.
turn_uris: []   # e.g. ["turn:turn.example.org:3478?transport=udp"]
turn_shared_secret: null
turn_user_lifetime: "1h"

federation:
  enabled: true
${namedPort === null ? '  port: 8448                      # TLS listener for other servers\n  tls: true\n' : '  tls: false                      # this listener serves both APIs in plain HTTP\n'}  # Talk plain HTTP to peers whose name is a loopback host with a port (two servers on one machine).
  # Synapse's 2015 topology instead: server_name "localhost:8448", port: 8008, and
  # federation: {port: 8448, tls: true, plain_http_loopback_peers: false} (TLS to every peer).
  plain_http_loopback_peers: true
  retry_backoff_min_ms: 5000
  retry_backoff_max_ms: 3600000

presence:
  idle_timeout_ms: 300000   # a user with no event stream open this long goes offline

# Admin inspector page at /_inspector/ (rooms, event graphs, federation and application-service
# queues; admins only). Default: on when bind_address is a loopback address, off otherwise.
# inspector:
#   enabled: true

log_level: info
log_format: auto   # auto: readable lines on a terminal, JSON when piped; or pretty / json
# Prometheus text at GET /_synapse/metrics, on its own listener (never the client port), as
# Synapse's metrics_port. No port: no metrics. Keep it on loopback: it needs no authentication.
metrics:
  enabled: true
  port: null                  # e.g. 9092
  bind_address: "127.0.0.1"
`;
}

export function writeDefaultConfig(configPath: string, opts: GenerateOptions): void {
  mkdirSync(dirname(resolve(configPath)), { recursive: true });
  writeFileSync(configPath, defaultConfigText(opts), { mode: 0o600 });
}

export function configExists(configPath: string): boolean {
  return existsSync(configPath);
}
