import type { FastifyInstance, FastifyError, FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import { MatrixError, notJson } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received, for signed JSON that must not be re-serialised. */
    rawBody?: string;
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
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    req.rawBody = text;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(notJson('Content not JSON.'), undefined);
    }
  });

  // Synapse answered exactly "application/json" (no charset); SyTest compares the header exactly.
  app.addHook('onSend', async (_req, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json')) reply.header('content-type', 'application/json');
    return payload;
  });

  app.setErrorHandler((err: FastifyError | MatrixError, req, reply) => {
    if (err instanceof MatrixError) {
      return reply.status(err.status).send(err.toJSON());
    }
    const fe = err as FastifyError;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({ errcode: 'M_TOO_LARGE', error: 'Request body too large' });
    }
    if (fe.validation) {
      return reply.status(400).send({ errcode: 'M_BAD_JSON', error: fe.message });
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send({ errcode: 'M_UNKNOWN', error: fe.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ errcode: 'M_UNKNOWN', error: 'Internal server error' });
  });

  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ errcode: 'M_UNRECOGNIZED', error: `Unrecognized request: ${req.method} ${redactUrl(req.url).split('?')[0]}` });
  });
}
