import t from 'tap';
import { startServer, http, Client } from '../helpers/server.js';

// Synapse answered `Content-Type: application/json` exactly; clients of the era compared the string.
t.test('every JSON answer, errors included, carries exactly Content-Type: application/json', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const cases: [string, string, string?][] = [
    ['GET', '/_matrix/client/api/v1/login'],
    ['GET', '/_matrix/key/v2/server'],
    ['GET', `/_matrix/client/api/v1/profile/${encodeURIComponent(alice.userId!)}/displayname`],
    ['GET', '/_matrix/client/api/v1/no/such/path'],
    ['GET', '/_matrix/client/api/v1/initialSync?access_token=wrong'],
    ['POST', '/_matrix/client/api/v1/register', '{not json'],
  ];
  for (const [method, path, rawBody] of cases) {
    const res = await http(s.url, method, path, { rawBody });
    t.equal(res.headers['content-type'], 'application/json', `${method} ${path} -> ${res.status}`);
    t.doesNotThrow(() => JSON.parse(res.text));
  }
  const created = await alice.post('/createRoom', {});
  t.equal(created.status, 200);
  t.equal(created.headers['content-type'], 'application/json', 'an authenticated POST');
});
