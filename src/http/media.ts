// Media repository v1 (client-api-v1.md §10). The routes live in their own Fastify scope whose
// body parser hands over the raw request stream: an upload is written to disk as it arrives
// instead of being buffered by the JSON parser every other API uses.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { open } from 'node:fs/promises';
import type { Api } from './api.js';
import { authenticator } from './auth.js';
import { MatrixError, missingParam, notFound, unknown } from '../errors.js';
import type { MediaFile } from '../media/index.js';
import { contentDisposition, parseRange } from '../media/content-headers.js';
import { renderIdenticon, MAX_IDENTICON_SIDE } from '../media/identicon.js';
import { queries } from './schemas.js';

const PREFIX = '/_matrix/media/v1';

type Params = { serverName: string; mediaId: string; fileName?: string };
type Query = Record<string, string | undefined>;

export async function mediaRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const media = api.media;
  const who = authenticator(api);
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    // POST /upload?filename=<name>  (raw bytes; the access token as everywhere else)
    scope.post(`${PREFIX}/upload`, { schema: { querystring: queries.mediaUpload } }, async (req, reply) => {
      const requester = who(req);
      const length = req.headers['content-length'];
      const { filename } = req.query as Query;
      const contentUri = await media.upload((req.body as Readable | undefined) ?? req.raw, {
        uploader: requester.userId,
        contentType: req.headers['content-type'],
        uploadName: typeof filename === 'string' ? filename : undefined,
        declaredLength: length !== undefined ? Number(length) : undefined,
      });
      return reply.send({ content_uri: contentUri });
    });

    // GET /download/{serverName}/{mediaId}[/{fileName}]  (no auth, as in 2015)
    const download = async (req: FastifyRequest, reply: FastifyReply) => {
      const { serverName, mediaId, fileName } = req.params as Params;
      const file = await media.find(serverName, mediaId);
      return sendFile(req, reply, file, contentDisposition(fileName || file.uploadName));
    };
    scope.get(`${PREFIX}/download/:serverName/:mediaId`, download);
    scope.get(`${PREFIX}/download/:serverName/:mediaId/:fileName`, download);

    // GET /thumbnail/{serverName}/{mediaId}?width=&height=&method=crop|scale[&type=]
    scope.get(`${PREFIX}/thumbnail/:serverName/:mediaId`, { schema: { querystring: queries.mediaSize } }, async (req, reply) => {
      const { serverName, mediaId } = req.params as Params;
      const q = req.query as Query;
      const { width, height } = dimensions(q, null);
      const method = q.method ?? 'scale';
      if (method !== 'scale' && method !== 'crop') throw unknown(`Unknown thumbnail method ${JSON.stringify(method)}: use crop or scale`);
      const thumb = await media.thumbnail(serverName, mediaId, { width, height, method, type: q.type });
      return sendFile(req, reply, thumb);
    });

    // GET /identicon/{ident}?width=&height=  (js-sdk 0.3 default avatars)
    scope.get(`${PREFIX}/identicon/:ident`, { schema: { querystring: queries.mediaSize } }, async (req, reply) => {
      const { ident } = req.params as { ident: string };
      if (!ident) throw notFound('No identicon string');
      const { width, height } = dimensions(req.query as Query, 96);
      const png = await renderIdenticon(ident, Math.min(width, MAX_IDENTICON_SIDE), Math.min(height, MAX_IDENTICON_SIDE));
      return reply.header('Content-Type', 'image/png').send(png);
    });
  });
}

/** width and height as positive integers; one given alone stands for both. */
function dimensions(q: Query, fallback: number | null): { width: number; height: number } {
  const parse = (name: 'width' | 'height') => {
    const v = q[name];
    if (v === undefined || v === '') return undefined;
    if (!/^\d{1,6}$/.test(v) || Number(v) === 0) throw unknown(`${name} must be a positive integer`);
    return Number(v);
  };
  const w = parse('width') ?? parse('height') ?? fallback;
  const h = parse('height') ?? parse('width') ?? fallback;
  if (w === null || h === null) throw missingParam('width and height are required');
  return { width: w, height: h };
}

/** Streams a media file, honouring a single byte range. */
async function sendFile(req: FastifyRequest, reply: FastifyReply, file: MediaFile, disposition?: string): Promise<FastifyReply> {
  let fh;
  try {
    fh = await open(file.path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('Media file is missing on this server');
    throw err;
  }
  const size = (await fh.stat()).size;
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    await fh.close();
    reply.header('Content-Range', `bytes */${size}`);
    throw new MatrixError(416, 'M_UNKNOWN', 'Requested range not satisfiable');
  }
  const start = range ? range.start : 0;
  const end = range ? range.end : size - 1;
  reply
    .header('Content-Type', file.contentType)
    .header('Content-Length', String(Math.max(0, end - start + 1)))
    .header('Accept-Ranges', 'bytes')
    // Uploaded HTML or SVG must not run as a page of this origin.
    .header('Content-Security-Policy', "sandbox; default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; media-src 'self'; img-src 'self'")
    .header('X-Content-Type-Options', 'nosniff');
  if (disposition) reply.header('Content-Disposition', disposition);
  if (range) reply.code(206).header('Content-Range', `bytes ${start}-${end}/${size}`);
  // HEAD answers the headers alone: an empty stream keeps our Content-Length (a string would not).
  if (size === 0 || req.method === 'HEAD') {
    await fh.close();
    return reply.send(Readable.from([]));
  }
  return reply.send(fh.createReadStream({ start, end }));
}
