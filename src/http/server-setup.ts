import type { FastifyInstance, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import cors from '@fastify/cors';
import { MatrixError, notJson } from '../errors.js';
import { registerIdParamChecks } from './id-params.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received, for signed JSON that must not be re-serialised. */
    rawBody?: string;
  }
  interface FastifyContextConfig {
    /** The route takes any JSON value as its body (`true`), not only an object. */
    anyJsonBody?: boolean;
  }
}

/** Removes secrets from a URL before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_token|hs_token|as_token)=)[^&]*/g, '$1<redacted>');
}

export const requestSerializers = {
  req(req: FastifyRequest) {
    return { method: req.method, url: redactUrl(req.url), remoteAddress: req.ip };
  },
};

/**
 * Body parsing, errors, CORS and the unknown-path answer shared by every API.
 * Bodies are JSON whatever the Content-Type says: the curl examples of the era send
 * application/x-www-form-urlencoded.
 */
export async function setupServer(app: FastifyInstance): Promise<void> {
  await app.register(cors, {
    origin: '*',
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Origin', 'X-Requested-With', 'Content-Type', 'Accept', 'Authorization'],
    optionsSuccessStatus: 200,
    strictPreflight: false,
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      // Decoding leniently would store U+FFFD in place of what the client sent.
      return done(notJson('Content not valid UTF-8.'), undefined);
    }
    req.rawBody = text;
    if (text.trim() === '') return done(null, undefined);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return done(notJson('Content not JSON.'), undefined);
    }
    // "\ud800" is valid JSON text but no Unicode string: it would be stored as U+FFFD.
    if (LONE_SURROGATE_ESCAPE.test(text)) {
      let lone: boolean;
      try {
        lone = hasLoneSurrogate(value);
      } catch {
        lone = true; // nested too deep to walk: refused like any body we cannot check
      }
      if (lone) return done(notJson('Content holds a lone UTF-16 surrogate.'), undefined);
    }
    done(null, value);
  });

  registerIdParamChecks(app);

  // Requests that still arrive on open connections while stopping (return503OnClosing is off).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_req, reply) => {
    if (!closing) return;
    reply.header('Connection', 'close');
    throw new MatrixError(503, 'M_UNKNOWN', 'The server is shutting down');
  });

  // Every JSON API takes an object (Synapse: "Content must be a JSON object"), unless the route says otherwise.
  app.addHook('preHandler', async (req) => {
    const b = req.body;
    if (b === undefined || req.routeOptions.config?.anyJsonBody) return;
    if (b === null || typeof b !== 'object' || Array.isArray(b)) throw notJson('Content must be a JSON object.');
  });


  app.setErrorHandler((err: FastifyError | MatrixError, req, reply) => {
    const answer = matrixErrorFor(err);
    if (answer.status >= 500) req.log.error({ err }, 'unhandled error');
    return reply.status(answer.status).send(answer.body);
  });

  // The path is not echoed: it may be huge or hostile, and the query may hold an access token.
  app.setNotFoundHandler((_req, reply) => {
    reply.status(404).send({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
  });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
// A cheap pre-test on the text: only bodies escaping a surrogate are walked.
const LONE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

function hasLoneSurrogate(v: unknown): boolean {
  if (typeof v === 'string') return /\p{Cs}/u.test(v);
  if (Array.isArray(v)) return v.some(hasLoneSurrogate);
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (/\p{Cs}/u.test(k) || hasLoneSurrogate(x)) return true;
  }
  return false;
}

type ErrorAnswer = { status: number; body: { errcode: string; error: string } & Record<string, unknown> };
const answer = (status: number, errcode: string, error: string): ErrorAnswer => ({ status, body: { errcode, error } });

/**
 * Fastify's own errors, by code, as Matrix errors. Their messages are not passed on: several
 * quote the URL, access_token included.
 */
const FASTIFY_ERRORS: Record<string, ErrorAnswer> = {
  FST_ERR_BAD_URL: answer(400, 'M_INVALID_PARAM', 'Malformed percent-encoding in the request path'),
  FST_ERR_MAX_PARAM_LENGTH: answer(400, 'M_INVALID_PARAM', 'A path parameter is too long'),
  FST_ERR_CTP_BODY_TOO_LARGE: answer(413, 'M_TOO_LARGE', 'Request body too large'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: answer(415, 'M_UNKNOWN', 'Unsupported Content-Type'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: answer(400, 'M_UNKNOWN', 'Request body length does not match Content-Length'),
  FST_ERR_CTP_EMPTY_JSON_BODY: answer(400, 'M_NOT_JSON', 'Content not JSON.'),
  FST_ERR_CTP_INVALID_JSON_BODY: answer(400, 'M_NOT_JSON', 'Content not JSON.'),
  FST_ERR_ASYNC_CONSTRAINT: answer(500, 'M_UNKNOWN', 'Internal server error'),
};

/** Every error a request can end with, ours or Fastify's, as status + {errcode, error}. */
export function matrixErrorFor(err: unknown): ErrorAnswer {
  if (err instanceof MatrixError) return { status: err.status, body: err.toJSON() as ErrorAnswer['body'] };
  const fe = err as Partial<FastifyError> | null;
  const known = typeof fe?.code === 'string' && Object.hasOwn(FASTIFY_ERRORS, fe.code) ? FASTIFY_ERRORS[fe.code] : undefined;
  if (known) return known;
  if (fe?.validation) return validationAnswer(fe.validation as SchemaError[], fe.validationContext);
  const status = fe?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return answer(status, status === 404 ? 'M_NOT_FOUND' : 'M_UNKNOWN', STATUS_CODES[status] ?? 'Bad request');
  }
  return answer(500, 'M_UNKNOWN', 'Internal server error');
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * A request that fails its route's JSON schema (http/schemas.ts), as Synapse answered the same
 * mistakes: a body that is not an object is M_NOT_JSON, a missing key M_MISSING_PARAM, a key of
 * the wrong shape M_BAD_JSON; a bad path or query parameter M_INVALID_PARAM. Key names come from
 * our schemas (array indexes at most), never from the client's keys; lengths are bounded anyway.
 */
function validationAnswer(errors: SchemaError[], context: string | undefined): ErrorAnswer {
  const e = errors[0];
  const at = (e?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.').slice(0, 100);
  if (context === 'params' || context === 'querystring') return answer(400, 'M_INVALID_PARAM', `Invalid ${at || 'parameter'}`);
  if (!e) return answer(400, 'M_BAD_JSON', 'Bad JSON');
  if (at === '' && e.keyword === 'type') return answer(400, 'M_NOT_JSON', 'Content must be a JSON object.');
  if (e.keyword === 'required') {
    const key = String(e.params.missingProperty ?? '').slice(0, 100);
    return answer(400, 'M_MISSING_PARAM', `Missing '${at ? `${at}.` : ''}${key}' key.`);
  }
  return answer(400, 'M_BAD_JSON', `'${at}' ${String(e.message ?? 'is invalid').slice(0, 200)}`);
}

/** Fastify's `frameworkErrors` option: errors raised while routing (bad percent-encoding, long params). */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = matrixErrorFor(err);
  void reply.status(status).send(body);
}

/**
 * The HTTP server's `clientError`: a request that never became one (unparsable HTTP, headers too
 * large, a request timeout). Answered in Matrix form, then the connection is closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request timed out']
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request headers too large']
    : [400, 'Malformed HTTP request'];
  const body = JSON.stringify({ errcode: 'M_UNKNOWN', error: text });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
