// The queue views in a real headless Chromium: a stuck application service and "retry now".
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, enc, waitFor } from '../helpers/server.js';
import { startReceiver, writeRegistration } from '../appservice/helpers.js';
import { chromiumPath, goTo, openInspector, startWithAdmin } from './helpers.js';

const chromium = chromiumPath();
if (!chromium) {
  t.test('browser tests skipped: chromium is not installed (apt-get install -y chromium)', { skip: true }, async () => {});
} else {
  t.test('a stuck application service shows its failing transaction, and "retry now" delivers it', async (t) => {
    const shots = mkdtempSync(join(tmpdir(), 'inspector-shots-'));
    t.comment(`screenshots in ${shots}`);
    const dir = mkdtempSync(join(tmpdir(), 'hs-as-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    let healthy = true;
    receiver.onTxn = () => (healthy ? { status: 200, body: {} } : { status: 500, body: { errcode: 'M_UNKNOWN', error: 'bridge is down' } });
    const reg = writeRegistration(dir, 'bridge', {
      id: 'bridge', url: receiver.url, as_token: 'bridge-as', hs_token: 'bridge-hs', sender_localpart: 'bridgebot',
      namespaces: { users: [{ exclusive: true, regex: '@bridge_.*' }], aliases: [], rooms: [] },
    });
    // A long backoff: after the first failure nothing is sent again until someone presses "retry now".
    const { server, admin } = await startWithAdmin({
      config: { app_service_config_files: [reg], appservice: { retry_backoff_min_ms: 600_000, retry_backoff_max_ms: 600_000, request_timeout_ms: 5000 } },
    });
    t.teardown(() => server.close());
    const room = (await admin.post('/createRoom', { visibility: 'public' })).body.room_id as string;
    const joined = (await new Client(server.url, 'bridge-as').post(`/join/${enc(room)}`)).body;
    await waitFor(() => receiver.delivered().some((e) => e.type === 'm.room.member' && e.room_id === joined.room_id), 'the bot\'s join delivered');
    healthy = false; // the bridge goes down
    const sent = (await admin.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: 'for the bridge' })).body.event_id;
    await waitFor(() => server.hs.storage.appservice.state('bridge').last_error !== null, 'the first attempt to fail');
    const stuckTxn = receiver.txns[receiver.txns.length - 1].txnId;
    const attempts = receiver.txns.length;

    const browser = await openInspector(chromium, server.url, shots);
    const { page } = browser;
    t.teardown(() => browser.close());
    await goTo(page, '#/appservices', 'appservices');
    const section = 'section[data-appservice="bridge"]';
    await page.waitForSelector(section);
    t.match(await page.$eval(`${section} [data-field="in-flight"]`, (el) => el.textContent), stuckTxn, 'the transaction in flight');
    t.match(await page.$eval(`${section} [data-field="last-error"]`, (el) => el.textContent), /500/, 'its last error');
    const failed = `${section} details[data-txn-id="bridge:${stuckTxn}"][data-status="failed"]`;
    await page.waitForSelector(failed);
    await page.click(`${failed} summary`);
    t.match(await page.$eval(`${failed} pre`, (el) => el.textContent), sent, 'the failing transaction expands to its body, with the event');
    await browser.shot('appservices-stuck');
    t.equal(receiver.txns.length, attempts, 'nothing more is sent while the backoff runs');

    // The bridge is fixed; the admin presses "retry now": the same transaction is delivered.
    healthy = true;
    await page.click(`${section} button[data-retry="bridge"]`);
    await waitFor(() => receiver.delivered().some((e) => e.event_id === sent), 'delivery after retry now');
    t.equal(receiver.txns[receiver.txns.length - 1].txnId, stuckTxn, 'the same txnId, retried');
    // The live feed notices the queue drained and the view redraws with the delivered attempt.
    await page.waitForSelector(`${section} details[data-txn-id="bridge:${stuckTxn}"][data-status="delivered"]`);
    t.match(await page.$eval(`${section} [data-field="in-flight"]`, (el) => el.textContent), '—', 'nothing in flight any more');
    await browser.shot('appservices-delivered');

    await goTo(page, '#/federation', 'federation');
    await browser.shot('federation-empty');
    await goTo(page, '#/live', 'live');
    t.match(await page.$eval('#live-feed', (el) => el.textContent), /delivered to application service bridge/, 'the delivery shows in the live feed');
  });
}
