import type { FastifyInstance } from 'fastify';

/**
 * Synapse answered every JSON body with exactly `Content-Type: application/json`, and clients
 * of the era (SyTest among them) compare the header as a string: Fastify's default
 * `application/json; charset=utf-8` is read as "not JSON". JSON is UTF-8 by definition
 * (RFC 7159 §8.1), so the parameter says nothing. Only the header changes: bodies (signed JSON
 * included) go out byte for byte as serialised.
 */
export function exactJsonContentType(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && /^application\/json\s*;\s*charset=utf-8$/i.test(type)) {
      reply.header('content-type', 'application/json');
    }
    return payload;
  });
}
