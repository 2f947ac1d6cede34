// The application-service tutorial's logging service: prints every event the homeserver pushes,
// and creates #logged_* rooms on demand when the homeserver asks about an unknown alias.
// No framework, just node:http.   Run: npx tsx examples/logging-appservice.ts
import { createServer } from 'node:http';

const PORT = Number(process.env.PORT ?? 5000);
const HS_URL = process.env.HS_URL ?? 'http://localhost:8008';
const AS_TOKEN = process.env.AS_TOKEN ?? 'wfghWEGh3wgWHEf3478sHFWE'; // from registration.yaml
const HS_TOKEN = process.env.HS_TOKEN ?? 'ugw8243igya57aaABGFfgeyu';

const seen = new Set<string>(); // transactions already handled: a retry must not print twice

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.searchParams.get('access_token') !== HS_TOKEN) return json(res, 403, { errcode: 'M_FORBIDDEN', error: 'Bad hs_token' });
  let body = '';
  for await (const chunk of req) body += chunk;

  const txn = /^\/transactions\/([^/]+)$/.exec(url.pathname);
  if (req.method === 'PUT' && txn) {
    if (!seen.has(txn[1])) {
      seen.add(txn[1]);
      for (const ev of (JSON.parse(body).events ?? []) as Record<string, unknown>[]) {
        console.log(`${ev.user_id} in ${ev.room_id}: ${ev.type} ${JSON.stringify(ev.content)}`);
      }
    }
    return json(res, 200, {});
  }

  const room = /^\/rooms\/([^/]+)$/.exec(url.pathname);
  if (req.method === 'GET' && room) {
    const alias = decodeURIComponent(room[1]); // "#logged_test2:localhost"
    const localpart = alias.slice(1, alias.indexOf(':'));
    const created = await fetch(`${HS_URL}/_matrix/client/api/v1/createRoom?access_token=${AS_TOKEN}`, {
      method: 'POST',
      body: JSON.stringify({ room_alias_name: localpart }),
    });
    console.log(`asked about ${alias}: createRoom answered ${created.status}`);
    return created.ok ? json(res, 200, {}) : json(res, 404, { errcode: 'M_NOT_FOUND' });
  }

  if (req.method === 'GET' && url.pathname.startsWith('/users/')) return json(res, 404, { errcode: 'M_NOT_FOUND' });
  json(res, 404, { errcode: 'M_UNRECOGNIZED' });
});

server.listen(PORT, () => console.log(`logging service on http://localhost:${PORT}, homeserver ${HS_URL}`));
