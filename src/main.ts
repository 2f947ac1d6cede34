// CLI entry: parse args, load (or create) the config, open the homeserver, listen, shut down cleanly.
import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { configExists, writeDefaultConfig } from './config-template.js';
import { createLogger, loadOrCreateSigningKey, openHomeserver, type Homeserver } from './homeserver.js';
import { buildApp } from './app.js';
import { startListeners } from './listen.js';
import { startHomeserver } from './testkit.js';
import { VERSION } from './version.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return n;
}

const program = new Command()
  .name('homeserver')
  .description('A small Matrix homeserver speaking the 2015 protocol')
  .version(VERSION, '-V, --version')
  .option('-c, --config <path>', 'homeserver.yaml to use (created if missing)', 'homeserver.yaml')
  .option('--generate-config', 'write the config and a signing key, then exit')
  .option('--server-name <name>', 'server_name for a generated config (ignored once the config exists)', 'localhost')
  .option('--port <n>', 'client API port for a generated config (ignored once the config exists)', parsePort)
  .option('--bind-address <addr>', 'bind_address for a generated config (the Docker image uses 0.0.0.0)')
  .option('--ephemeral', 'run with nothing written to disk: in-memory database and key, media in a temp dir removed on exit')
  .parse();

const opts = program.opts<{ config: string; generateConfig?: boolean; serverName: string; port?: number; bindAddress?: string; ephemeral?: boolean }>();

async function main(): Promise<void> {
  const configPath = resolve(opts.config);
  const bootLog = createLogger('info');
  if (opts.ephemeral) return runEphemeral(bootLog);
  if (opts.generateConfig) {
    if (configExists(configPath)) throw new ConfigError(`${configPath} already exists; not overwriting it`);
    writeDefaultConfig(configPath, { serverName: opts.serverName, port: opts.port, bindAddress: opts.bindAddress });
    const config = loadConfig(configPath);
    loadOrCreateSigningKey(config.signingKeyPath, bootLog);
    bootLog.info({ configPath, serverName: config.serverName }, 'wrote config');
    return;
  }
  if (!configExists(configPath)) {
    writeDefaultConfig(configPath, { serverName: opts.serverName, port: opts.port, bindAddress: opts.bindAddress });
    bootLog.info({ configPath }, 'no config found: wrote a commented default');
  } else {
    const given = (['serverName', 'port'] as const).filter((k) => program.getOptionValueSource(k) === 'cli');
    if (given.length) {
      bootLog.warn({ configPath, ignored: given }, `${given.map((k) => (k === 'port' ? '--port' : '--server-name')).join(' and ')} ignored: ${configPath} exists and its values are used (edit it, or pass another --config)`);
    }
  }
  const config = loadConfig(configPath);
  const hs = openHomeserver(config);
  const app = await buildApp(hs);
  const listeners = await startListeners(hs, app);
  logStartup(hs.log, hs, listeners.urls);
  hs.log.info({ serverName: config.serverName, version: VERSION, listeners: listeners.urls, metrics: listeners.metricsUrl }, 'homeserver running');

  onSignals(hs.log, async () => {
    await listeners.close(); // stop accepting, let in-flight requests finish
    await hs.close(); // background senders, then the database
  });
}

async function runEphemeral(log: Logger): Promise<void> {
  const port = opts.port ?? 8008;
  const given = program.getOptionValueSource('serverName') === 'cli';
  const server = await startHomeserver({
    port,
    serverName: given ? opts.serverName : `localhost:${port}`,
    logLevel: 'info',
    config: { registration_shared_secret: null },
  });
  const hs = server.homeserver;
  logStartup(hs.log, hs, [server.url]);
  hs.log.info({ mediaStorePath: hs.config.mediaStorePath }, `ephemeral: database and signing key in memory, media in ${hs.config.mediaStorePath} (deleted on exit)`);
  hs.log.info({ serverName: server.serverName, version: VERSION, listeners: [server.url], ephemeral: true }, 'homeserver running (ephemeral: nothing is kept after exit)');
  onSignals(log, () => server.stop());
}

/** What an operator wants to see first: where we listen, under which name, with which services. */
function logStartup(log: Logger, hs: Homeserver, urls: string[]): void {
  for (const url of urls) log.info({ url }, `listening on ${url}`);
  log.info({ serverName: hs.serverName, version: VERSION, database: hs.config.databasePath }, `server name ${hs.serverName}, version ${VERSION}`);
  for (const s of hs.appservices.registry.all()) {
    const ns = (kind: 'users' | 'aliases' | 'rooms') => s.namespaces[kind].map((n) => `${n.source}${n.exclusive ? ' (exclusive)' : ''}`);
    const namespaces = { users: ns('users'), aliases: ns('aliases'), rooms: ns('rooms') };
    log.info({ appservice: s.id, url: s.url, namespaces, source: s.source },
      `application service ${s.id} at ${s.url}: users [${namespaces.users.join(', ')}] aliases [${namespaces.aliases.join(', ')}] rooms [${namespaces.rooms.join(', ')}]`);
  }
}

function onSignals(log: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      await close();
    } catch (err) {
      log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    console.error(`config error: ${err.message}`);
  } else {
    console.error(`failed to start: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(1);
});
