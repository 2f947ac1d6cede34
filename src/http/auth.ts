// The client API's authentication, once per request: the requester is kept on the request, where
// the access log and the client-IP record read it instead of authenticating again.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Requester } from '../accounts/auth.js';
import type { Api } from './api.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request, once a route authenticated it (null: not authenticated). */
    requester: Requester | null;
  }
}

export function decorateRequester(app: FastifyInstance): void {
  app.decorateRequest('requester', null);
}

/** `(req) => Requester`: authenticates (401/403 otherwise) and records the requester on the request. */
export function authenticator(api: Pick<Api, 'auth'>): (req: FastifyRequest) => Requester {
  return (req) => {
    if (req.requester) return req.requester;
    const r = api.auth.authenticate(req);
    req.requester = r;
    return r;
  };
}
