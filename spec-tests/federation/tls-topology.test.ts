// Synapse's 2015 topology: server_name "localhost:<fedport>", the client API in plain HTTP on
// another port, federation over TLS (self-signed) on the port in the name, TLS to every peer.
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import YAML from 'yaml';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { defaultConfigText } from '../../src/config-template.js';
import { openHomeserver } from '../../src/homeserver.js';
import { buildApp } from '../../src/app.js';
import { startListeners } from '../../src/listen.js';
import { sha256Base64 } from '../../src/crypto/index.js';
import { freePort, http, Client, waitFor, enc } from '../helpers/server.js';

async function startTopologyServer(t: { teardown(fn: () => Promise<void>): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'hs-topology-'));
  const [port, fedPort] = [await freePort(), await freePort()];
  const serverName = `localhost:${fedPort}`;
  const cfg = {
    ...YAML.parse(defaultConfigText({ serverName, port })),
    log_level: process.env.HS_TEST_LOG ?? 'silent',
    rate_limiting: { per_second: 1000, burst: 1000 },
  };
  cfg.federation = { ...cfg.federation, port: fedPort, tls: true, plain_http_loopback_peers: false,
    retry_backoff_min_ms: 50, retry_backoff_max_ms: 400, request_timeout_ms: 10_000 };
  const configPath = join(dir, 'homeserver.yaml');
  writeFileSync(configPath, YAML.stringify(cfg));
  const config = loadConfig(configPath);
  const hs = openHomeserver(config, { logger: pino({ level: cfg.log_level }) });
  const listeners = await startListeners(hs, await buildApp(hs));
  t.teardown(async () => {
    await listeners.close();
    await hs.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { hs, serverName, url: `http://127.0.0.1:${port}`, fedUrl: `https://127.0.0.1:${fedPort}`, fedPort, listeners };
}

function httpsGet(port: number, path: string): Promise<{ status: number; cert: Buffer; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, rejectUnauthorized: false }, (res) => {
      const cert = (res.socket as any).getPeerCertificate().raw as Buffer;
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, cert, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('a name with a port plus explicit federation.port/tls serves federation over TLS on that port, the client API in plain HTTP', async (t) => {
  const A = await startTopologyServer(t);
  t.equal(A.hs.config.federation.port, A.fedPort, 'the explicit federation.port wins over the port in the name');
  t.equal(A.hs.config.federation.tls, true);
  const keys = await httpsGet(A.fedPort, '/_matrix/key/v2/server');
  t.equal(keys.status, 200);
  t.equal(keys.body.server_name, A.serverName);
  t.same(keys.body.tls_fingerprints, [{ sha256: sha256Base64(keys.cert) }], 'the fingerprint of the served certificate');
  const login = await http(A.url, 'GET', '/_matrix/client/api/v1/login');
  t.equal(login.status, 200, 'the client API answers in plain HTTP');
});

t.test('two servers in that topology federate a join and a message over TLS', async (t) => {
  const [A, B] = await Promise.all([startTopologyServer(t), startTopologyServer(t)]);
  const alice = await Client.register(A, 'alice');
  const bob = await Client.register(B, 'bob');
  t.equal(alice.userId, `@alice:${A.serverName}`);
  const room = await alice.post('/createRoom', { room_alias_name: 'tls', visibility: 'public' });
  t.equal(room.status, 200, room.text);
  const roomId = room.body.room_id;
  const join = await bob.post(`/join/${enc(`#tls:${A.serverName}`)}`, {});
  t.equal(join.status, 200, join.text);
  t.equal(join.body.room_id, roomId);
  const sent = await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'over TLS' });
  t.equal(sent.status, 200, sent.text);
  const seen = await waitFor(async () => {
    const res = await bob.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=10`);
    return res.body?.chunk?.find((e: any) => e.event_id === sent.body.event_id);
  }, 'the message on B');
  t.equal(seen.content.body, 'over TLS');
  t.equal(seen.sender, alice.userId);
});
