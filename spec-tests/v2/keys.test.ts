// End-to-end keys (v2_alpha, Synapse 0.12): upload, query and claim, locally and across servers.
import t from 'tap';
import { pairFor, register, signedRequest, enc } from '../federation/helpers.js';
import { Client } from '../helpers/server.js';

const V2 = '/_matrix/client/v2_alpha';

t.test('device keys and one-time keys: upload, count, query, claim once; across servers too', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const deviceKeys = { user_id: alice.userId, device_id: 'PHONE', algorithms: ['m.olm.curve25519-aes-sha256'], keys: { 'curve25519:PHONE': 'abc' } };
  const up = await alice.post(`${V2}/keys/upload/PHONE`, { device_keys: deviceKeys, one_time_keys: { 'curve25519:AAA': 'key-a', 'curve25519:AAB': 'key-b' } });
  t.equal(up.status, 200);
  t.same(up.body, { one_time_key_counts: { curve25519: 2 } });
  t.same((await alice.get(`${V2}/keys/upload/PHONE`)).body, { one_time_key_counts: { curve25519: 2 } });

  const local = await alice.post(`${V2}/keys/query`, { device_keys: { [alice.userId!]: {} } });
  t.same(local.body.device_keys[alice.userId!].PHONE, deviceKeys);
  t.same((await alice.get(`${V2}/keys/query/${enc(alice.userId!)}/PHONE`)).body.device_keys[alice.userId!].PHONE, deviceKeys);

  const remote = await bob.post(`${V2}/keys/query`, { device_keys: { [alice.userId!]: ['PHONE'] } });
  t.same(remote.body.device_keys[alice.userId!].PHONE, deviceKeys, 'queried over federation');

  const claimed = await bob.post(`${V2}/keys/claim`, { one_time_keys: { [alice.userId!]: { PHONE: 'curve25519' } } });
  const got = claimed.body.one_time_keys[alice.userId!].PHONE;
  t.equal(Object.keys(got).length, 1);
  t.ok(['key-a', 'key-b'].includes(Object.values(got)[0] as string), 'claimed over federation');
  const second = (await alice.post(`${V2}/keys/claim`, { one_time_keys: { [alice.userId!]: { PHONE: 'curve25519' } } })).body;
  t.notSame(second.one_time_keys[alice.userId!].PHONE, got, 'each one-time key is handed out once');
  const third = (await alice.post(`${V2}/keys/claim`, { one_time_keys: { [alice.userId!]: { PHONE: 'curve25519' } } })).body;
  t.same(third.one_time_keys[alice.userId!], {}, 'none left');
  t.same((await alice.get(`${V2}/keys/upload/PHONE`)).body, { one_time_key_counts: {} });
});

t.test('keys are checked: own user only, bounded ids, unsigned federation refused', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(A, 'bob');
  const forged = await bob.post(`${V2}/keys/upload/PHONE`, { device_keys: { user_id: alice.userId, device_id: 'PHONE' } });
  t.equal(forged.status, 403, "cannot upload keys as another user");
  t.same((await bob.post(`${V2}/keys/query`, { device_keys: { [alice.userId!]: {} } })).body.device_keys[alice.userId!], {}, 'nothing stored');
  t.equal((await alice.post(`${V2}/keys/upload/${'d'.repeat(300)}`, { one_time_keys: {} })).status, 400, 'device id too long');
  t.equal((await alice.post(`${V2}/keys/upload/PHONE`, { one_time_keys: { nocolon: 'x' } })).status, 400);
  t.equal((await alice.post(`${V2}/keys/query`, { device_keys: { 'not-a-user': {} } })).status, 400);
  const unsigned = await new Client(A.url).req('POST', '/_matrix/federation/v1/user/keys/query', { device_keys: { [alice.userId!]: [] } });
  t.equal(unsigned.status, 401, 'federation key queries must be signed');
  const signed = await signedRequest(B, A, 'POST', '/_matrix/federation/v1/user/keys/query', { body: { device_keys: { [alice.userId!]: [] } } });
  t.equal(signed.status, 200);
});
