import t from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer, http } from '../helpers/server.js';

/** A real siteverify endpoint: accepts the response "good" for the secret "s3cret". */
async function siteverify(t: { teardown(fn: () => void): void }) {
  const seen: URLSearchParams[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const form = new URLSearchParams(text);
      seen.push(form);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ success: form.get('secret') === 's3cret' && form.get('response') === 'good' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/recaptcha/api/siteverify`, seen };
}

const V2 = '/_matrix/client/v2_alpha/register';

t.test('a submitted m.login.recaptcha stage is verified with the siteverify API and recorded as completed', async (t) => {
  const verify = await siteverify(t);
  const s = await startServer({ config: { recaptcha_public_key: 'pub', recaptcha_private_key: 's3cret', recaptcha_siteverify_api: verify.url } });
  t.teardown(() => s.close());
  const res = await http(s.url, 'POST', V2, { body: { username: 'cap', password: 'pw', auth: { type: 'm.login.recaptcha', response: 'good' } } });
  t.equal(res.status, 401, 'captcha not required: the dummy stage still remains (Synapse 0.12)');
  t.same(res.body.completed, ['m.login.recaptcha']);
  t.same(res.body.params, { 'm.login.recaptcha': { public_key: 'pub' } });
  t.equal(verify.seen.length, 1);
  t.equal(verify.seen[0].get('secret'), 's3cret');
  t.equal(verify.seen[0].get('response'), 'good');
  const bad = await http(s.url, 'POST', V2, { body: { username: 'cap', password: 'pw', auth: { type: 'm.login.recaptcha', response: 'forged' } } });
  t.equal(bad.status, 401);
  t.equal(bad.body.errcode, 'M_UNAUTHORIZED', 'a response the API rejects fails');
});

t.test('with enable_registration_captcha the flow is m.login.recaptcha and a verified captcha registers', async (t) => {
  const verify = await siteverify(t);
  const s = await startServer({ config: { enable_registration_captcha: true, recaptcha_public_key: 'pub',
    recaptcha_private_key: 's3cret', recaptcha_siteverify_api: verify.url } });
  t.teardown(() => s.close());
  const first = await http(s.url, 'POST', V2, { body: { username: 'cap', password: 'pw' } });
  t.equal(first.status, 401);
  t.same(first.body.flows, [{ stages: ['m.login.recaptcha'] }]);
  const dummy = await http(s.url, 'POST', V2, { body: { username: 'cap', password: 'pw', auth: { type: 'm.login.dummy', session: first.body.session } } });
  t.equal(dummy.status, 401, 'the dummy stage does not get past a required captcha');
  const bad = await http(s.url, 'POST', V2, { body: { username: 'cap', password: 'pw', auth: { type: 'm.login.recaptcha', response: 'nope', session: first.body.session } } });
  t.equal(bad.status, 401);
  t.equal(bad.body.errcode, 'M_UNAUTHORIZED');
  const ok = await http(s.url, 'POST', V2, { body: { username: 'cap', password: 'pw', auth: { type: 'm.login.recaptcha', response: 'good', session: first.body.session } } });
  t.equal(ok.status, 200, ok.text);
  t.equal(ok.body.user_id, `@cap:${s.serverName}`);
});

t.test('without captcha configured the stage is refused and the dummy flow still works', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const res = await http(s.url, 'POST', V2, { body: { username: 'cap', password: 'pw', auth: { type: 'm.login.recaptcha', response: 'x' } } });
  t.equal(res.status, 400);
  const first = await http(s.url, 'POST', V2, { body: { username: 'dum', password: 'pw' } });
  t.equal(first.status, 401);
  t.same(first.body.flows, [{ stages: ['m.login.dummy'] }]);
  const done = await http(s.url, 'POST', V2, { body: { username: 'dum', password: 'pw', auth: { type: 'm.login.dummy', session: first.body.session } } });
  t.equal(done.status, 200, done.text);
});
