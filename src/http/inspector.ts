// The admin inspector: the page at /_inspector/ and the admin endpoints it reads (admins only).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Api } from './api.js';
import { authenticator } from './auth.js';
import { PAGE_HTML, PAGE_CSS } from '../inspector/index.js';
import { badJson, notFound } from '../errors.js';
import { isValidEventId, isValidRoomId, isValidServerName } from '../events/index.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

type P = Record<string, string>;
const BASE = `${V1}/admin/inspector`;
const KEEPALIVE_MS = 15_000;

// The page runs only our own script; data is never markup.
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export async function inspectorRoutes(app: FastifyInstance, api: Api): Promise<void> {
  if (!api.inspector) return;
  const { service, live, clientBundle } = api.inspector;
  const who = authenticator(api);
  const admin = (req: FastifyRequest) => service.requireAdmin(who(req).userId);
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });

  // GET /_inspector/ — the page shell, its stylesheet and script (no data: those need an admin token)
  app.get('/_inspector', async (_req, reply) => reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(PAGE_HTML));
  app.get('/_inspector/inspector.css', async (_req, reply) => reply.headers(PAGE_HEADERS).type('text/css; charset=utf-8').send(PAGE_CSS));
  app.get('/_inspector/app.js', async (_req, reply) =>
    reply.headers(PAGE_HEADERS).type('text/javascript; charset=utf-8').send(await clientBundle()));

  // GET /admin/inspector/rooms?limit= — every room with events here, most recently active first
  app.get(`${BASE}/rooms`, async (req) => {
    admin(req);
    return { rooms: service.rooms(intParam(req, 'limit', 1, 1000, 500)) };
  });

  // GET /admin/inspector/rooms/{roomId}/events?limit=&before= — the newest events for the graph
  app.get(`${BASE}/rooms/:roomId/events`, async (req) => {
    admin(req);
    const { roomId } = req.params as P;
    if (!isValidRoomId(roomId) || roomId.length > 255) throw badJson('Bad room id');
    const before = (req.query as P).before === undefined ? null : intParam(req, 'before', 1, Number.MAX_SAFE_INTEGER, 1);
    return service.roomEvents(roomId, before, intParam(req, 'limit', 1, 500, 100));
  });

  // GET /admin/inspector/events/{eventId} — federation JSON, rejection, state before/after, auth chain
  app.get(`${BASE}/events/:eventId`, async (req) => {
    admin(req);
    return service.event(eventIdParam(req));
  });

  // GET /admin/inspector/events/{eventId}/json — the stored signed JSON, byte for byte
  app.get(`${BASE}/events/:eventId/json`, async (req, reply) => {
    admin(req);
    return reply.type('application/json').send(service.eventJson(eventIdParam(req)));
  });

  // GET /admin/inspector/federation/inbound?origin=&limit= — last inbound transactions, per-PDU outcome
  app.get(`${BASE}/federation/inbound`, async (req) => {
    admin(req);
    const origin = (req.query as P).origin;
    if (origin !== undefined && !isValidServerName(origin)) throw badJson('Bad origin');
    return { transactions: service.inboundTransactions(origin ?? null, intParam(req, 'limit', 1, 200, 50)) };
  });

  // POST /admin/inspector/federation/destinations/{server}/retry — send now instead of after the backoff
  app.post(`${BASE}/federation/destinations/:server/retry`, async (req) => {
    admin(req);
    const { server } = req.params as P;
    if (!isValidServerName(server)) throw badJson('Bad server name');
    if (!api.federation) throw notFound('Federation is disabled');
    api.federation.outbound.peerIsUp(server);
    return {};
  });

  // GET /admin/inspector/live — server-sent events: new events and outbound queue changes
  app.get(`${BASE}/live`, async (req, reply) => {
    admin(req);
    return serveLive(reply, streams, (fn) => live.subscribe(fn));
  });
}

function serveLive(reply: FastifyReply, streams: Set<ServerResponse>,
  subscribe: (fn: (m: { kind: string; data: unknown }) => void) => (() => void) | null): void {
  const res = reply.raw;
  const send = (m: { kind: string; data: unknown }) => res.write(`event: ${m.kind}\ndata: ${JSON.stringify(m.data)}\n\n`);
  reply.hijack();
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no',
    'access-control-allow-origin': '*' });
  res.write(': inspector live feed\n\n');
  const unsubscribe = subscribe(send);
  if (!unsubscribe) {
    res.end('event: error\ndata: {"error":"too many live pages open"}\n\n');
    return;
  }
  streams.add(res);
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  res.on('close', () => {
    clearInterval(keepalive);
    unsubscribe();
    streams.delete(res);
  });
}

function intParam(req: FastifyRequest, name: string, min: number, max: number, dflt: number): number {
  const raw = (req.query as P)[name];
  if (raw === undefined) return dflt;
  if (!/^\d{1,16}$/.test(raw)) throw badJson(`'${name}' must be a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw badJson(`'${name}' must be between ${min} and ${max}`);
  return n;
}

function eventIdParam(req: FastifyRequest): string {
  const { eventId } = req.params as P;
  if (!isValidEventId(eventId) || eventId.length > 255) throw badJson('Bad event id');
  return eventId;
}
