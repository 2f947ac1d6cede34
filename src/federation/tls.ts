// The federation TLS listener for server names without a port (federation-v1.md §1.1): a
// self-signed certificate is generated on first start (2015 peers did not validate certificates;
// the key response publishes its fingerprint), and the same routes are served over HTTPS.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer } from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import { sha256Base64 } from '../crypto/index.js';
import { splitServerName } from './peers.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** DER of the certificate, for the v1 key response. */
  der: Buffer;
  fingerprint: string;
}

/** Reads the configured certificate, generating a self-signed one with openssl if there is none. */
export function loadOrCreateCertificate(config: ServerConfig, log: Logger): TlsMaterial {
  const { tlsCertificatePath: certPath, tlsPrivateKeyPath: keyPath } = config.federation;
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const host = splitServerName(config.serverName).host.replace(/^\[|\]$/g, '');
    mkdirSync(dirname(certPath), { recursive: true });
    mkdirSync(dirname(keyPath), { recursive: true });
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650',
        '-subj', `/CN=${host}`, '-keyout', keyPath, '-out', certPath,
      ], { stdio: 'pipe' });
      chmodSync(keyPath, 0o600);
    } catch (err) {
      throw new Error(
        `cannot generate a TLS certificate for federation (${(err as Error).message.split('\n')[0]}): install openssl, ` +
        `or put a certificate and key at federation.tls_certificate_path / tls_private_key_path (${certPath}, ${keyPath})`,
      );
    }
    log.info({ certPath }, 'generated a self-signed TLS certificate for federation');
  }
  const cert = readFileSync(certPath, 'utf8');
  const key = readFileSync(keyPath, 'utf8');
  const der = Buffer.from(new X509Certificate(cert).raw);
  return { cert, key, der, fingerprint: sha256Base64(der) };
}

/** An extra listener (src/listen.ts) serving the app's routes over TLS on federation.port. */
export function tlsListener(tls: TlsMaterial, config: Pick<ServerConfig, 'federation' | 'bindAddress'>) {
  return async (app: FastifyInstance): Promise<{ url: string; close: () => Promise<void> } | null> => {
    const port = config.federation.port;
    if (port === null || !config.federation.tls || !config.federation.enabled) return null;
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => app.routing(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.bindAddress, () => resolve());
    });
    const actual = (server.address() as AddressInfo).port;
    return {
      url: `https://${config.bindAddress}:${actual}`,
      close: () => new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
    };
  };
}
