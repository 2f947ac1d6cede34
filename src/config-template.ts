// The commented default homeserver.yaml, written on first start or by --generate-config.
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileSafe, portOfServerName } from './config.js';

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
