// One access line per request: method, path (tokens redacted), status, errcode, user, ms.
// The same hook records where each access token is used from (admin whois). The user is the
// requester the route authenticated (http/auth.ts): no second authentication here.
import type { FastifyInstance } from 'fastify';
import type { Api } from './api.js';
import { redactUrl } from './server-setup.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The errcode of an error answer, for the access line. */
    errcodeForLog?: string;
  }
}

export async function accessLog(app: FastifyInstance, api: Pick<Api, 'clientIps'>): Promise<void> {
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400 && typeof payload === 'string' && payload.startsWith('{')) {
      const m = /"errcode"\s*:\s*"([A-Z0-9_]{1,64})"/.exec(payload);
      if (m) req.errcodeForLog = m[1];
    }
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    const who = req.requester;
    if (who && who.appserviceId === null) api.clientIps.record(who.tokenHash, who.userId, req.ip, req.headers['user-agent']);
    const path = redactUrl(req.url);
    const ms = Math.round(reply.elapsedTime);
    const errcode = req.errcodeForLog;
    const user = who?.userId;
    req.log.info(
      { method: req.method, path, status: reply.statusCode, errcode, user, ms, remoteAddress: req.ip },
      `${req.method} ${path} ${reply.statusCode}${errcode ? ` ${errcode}` : ''} ${user ?? '-'} ${ms}ms`,
    );
  });
}
