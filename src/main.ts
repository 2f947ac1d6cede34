// CLI entry: parse args, load (or create) the config, open the homeserver, listen, shut down cleanly.
import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { ConfigError, configExists, loadConfig, writeDefaultConfig } from './config.js';
import { createLogger, loadOrCreateSigningKey, openHomeserver } from './homeserver.js';
import { buildApp } from './app.js';
import { startListeners } from './listen.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return n;
}

const program = new Command()
  .name('homeserver')
  .description('A small Matrix homeserver speaking the 2015 protocol')
  .option('-c, --config <path>', 'homeserver.yaml to use (created if missing)', 'homeserver.yaml')
  .option('--generate-config', 'write the config and a signing key, then exit')
  .option('--server-name <name>', 'server_name for a generated config', 'localhost')
  .option('--port <n>', 'client API port for a generated config', parsePort)
  .parse();

const opts = program.opts<{ config: string; generateConfig?: boolean; serverName: string; port?: number }>();

async function main(): Promise<void> {
  const configPath = resolve(opts.config);
  const bootLog = createLogger('info');
  if (opts.generateConfig) {
    if (configExists(configPath)) throw new ConfigError(`${configPath} already exists; not overwriting it`);
    writeDefaultConfig(configPath, { serverName: opts.serverName, port: opts.port });
    const config = loadConfig(configPath);
    loadOrCreateSigningKey(config.signingKeyPath, bootLog);
    bootLog.info({ configPath, serverName: config.serverName }, 'wrote config');
    return;
  }
  if (!configExists(configPath)) {
    writeDefaultConfig(configPath, { serverName: opts.serverName, port: opts.port });
    bootLog.info({ configPath }, 'no config found: wrote a commented default');
  }
  const config = loadConfig(configPath);
  const hs = openHomeserver(config);
  const app = await buildApp(hs);
  const listeners = await startListeners(hs, app);
  hs.log.info({ serverName: config.serverName, listeners: listeners.urls, metrics: listeners.metricsUrl }, 'homeserver running');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    hs.log.info({ signal }, 'shutting down');
    await listeners.close(); // stop accepting, let in-flight requests finish
    await hs.close(); // background senders, then the database
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
