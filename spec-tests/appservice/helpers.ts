// A real HTTP application service for tests: records what the homeserver sends it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

export interface ReceivedTxn {
  txnId: string;
  path: string;
  token: string | null;
  bearer: string | null;
  events: any[];
}

export interface TxnAnswer {
  status: number;
  body?: unknown;
}

export interface Receiver {
  url: string;
  txns: ReceivedTxn[];
  queries: { kind: 'rooms' | 'users'; id: string; path: string }[];
  /** Decides the answer to each transaction (default 200 {}); a promise holds the request until it settles. */
  onTxn: (txn: ReceivedTxn, attempt: number) => TxnAnswer | Promise<TxnAnswer>;
  onQuery: (kind: 'rooms' | 'users', id: string) => Promise<{ status: number; body?: unknown }>;
  /** False: answer 404 on /_matrix/app/v1/... as a 2015 service (matrix-appservice 0.2) does. */
  modernPaths: boolean;
  /** Events of every acknowledged transaction, each transaction counted once. */
  delivered(): any[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const attempts = new Map<string, number>();
  const acked = new Set<string>();
  const r: Receiver = {
    url: '',
    txns: [],
    queries: [],
    onTxn: () => ({ status: 200, body: {} }),
    onQuery: async () => ({ status: 404, body: { errcode: 'M_NOT_FOUND' } }),
    modernPaths: true,
    delivered() {
      const seen = new Set<string>();
      return r.txns.filter((t) => acked.has(t.txnId) && !seen.has(t.txnId) && seen.add(t.txnId)).flatMap((t) => t.events);
    },
    close: () => new Promise((res) => server.close(() => res())),
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    let body = '';
    for await (const chunk of req) body += chunk;
    const reply = (status: number, b: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(b ?? {}));
    };
    if (!r.modernPaths && url.pathname.startsWith('/_matrix/app/v1/')) return reply(404, { error: 'Cannot ' + req.method });
    const txn = /^\/(?:_matrix\/app\/v1\/)?transactions\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'PUT' && txn) {
      const t: ReceivedTxn = {
        txnId: decodeURIComponent(txn[1]), path: url.pathname, token: url.searchParams.get('access_token'),
        bearer: req.headers.authorization ?? null, events: JSON.parse(body).events,
      };
      r.txns.push(t);
      const n = (attempts.get(t.txnId) ?? 0) + 1;
      attempts.set(t.txnId, n);
      const ans = await r.onTxn(t, n);
      if (ans.status >= 200 && ans.status < 300 && !(ans.body as any)?.errcode) acked.add(t.txnId);
      return reply(ans.status, ans.body);
    }
    const q = /^\/(?:_matrix\/app\/v1\/)?(rooms|users)\/(.+)$/.exec(url.pathname);
    if (req.method === 'GET' && q) {
      const kind = q[1] as 'rooms' | 'users';
      const id = decodeURIComponent(q[2]);
      r.queries.push({ kind, id, path: url.pathname });
      const ans = await r.onQuery(kind, id);
      return reply(ans.status, ans.body);
    }
    reply(404, { errcode: 'M_UNRECOGNIZED' });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return r;
}

/** Writes a registration file (the tutorial's shape by default) and returns its path. */
export function writeRegistration(dir: string, name: string, reg: Record<string, unknown>): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, YAML.stringify(reg));
  return path;
}

export const FAST_RETRY = { retry_backoff_min_ms: 50, retry_backoff_max_ms: 400, request_timeout_ms: 5000 };

export { waitFor } from '../helpers/server.js';
