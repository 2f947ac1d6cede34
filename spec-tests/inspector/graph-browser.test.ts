// The room graph in a real headless Chromium: a federated room forked by a partition, then merged.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, enc, startServer, waitFor, type TestServer } from '../helpers/server.js';
import { FED_CONFIG, signedRequest } from '../federation/helpers.js';
import { hashAndSignEvent, type Pdu } from '../../src/events/index.js';
import { INSPECTOR, chromiumPath, goTo, openInspector, startWithAdmin } from './helpers.js';

const chromium = chromiumPath();
if (!chromium) {
  t.test('browser tests skipped: chromium is not installed (apt-get install -y chromium)', { skip: true }, async () => {});
} else {
  t.test('the room graph shows a partition fork as two branches and two extremities, then one after the merge', async (t) => {
    const shots = mkdtempSync(join(tmpdir(), 'inspector-shots-'));
    t.comment(`screenshots in ${shots}`);
    let { server: A, admin: alice } = await startWithAdmin({ federating: true });
    let B: TestServer = await startServer({ config: FED_CONFIG });
    t.teardown(async () => {
      await B.close();
      await A.close();
    });
    const bob = await Client.register(B, 'bob');
    const { body } = await alice.post('/createRoom', { room_alias_name: 'forked', name: 'Forked room', visibility: 'public' });
    const roomId: string = body.room_id;
    t.equal((await bob.post(`/join/${enc(`#forked:${A.serverName}`)}`, {})).status, 200, 'bob joins over federation');
    const a0 = (await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/a0`, { msgtype: 'm.text', body: 'before the partition' })).body.event_id;
    await waitFor(() => B.hs.storage.events.hasEvent(a0), 'a0 on B');

    // The partition: B goes down, alice writes; A goes down, B comes back and bob writes.
    await B.stop();
    const a1 = (await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/a1`, { msgtype: 'm.text', body: 'alice, alone' })).body.event_id;
    await A.stop();
    B = await startServer({ dir: B.dir, port: B.port, config: FED_CONFIG });
    const b1 = (await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/b1`, { msgtype: 'm.text', body: 'bob, alone' })).body.event_id;
    ({ server: A, admin: alice } = await startWithAdmin({ federating: true, dir: A.dir, port: A.port }));
    // Reconnected: each side's queue delivers the other's branch.
    await waitFor(() => A.hs.storage.events.hasEvent(b1) && B.hs.storage.events.hasEvent(a1), 'both branches on both servers');
    t.same(A.hs.storage.events.prevEventIds(a1), [a0], 'alice\'s branch starts at a0');
    t.same(A.hs.storage.events.prevEventIds(b1), [a0], 'bob\'s branch starts at a0 too');
    t.same(A.hs.storage.events.forwardExtremities(roomId).sort(), [a1, b1].sort(), 'two forward extremities on A');

    const browser = await openInspector(chromium, A.url, shots);
    const { page } = browser;
    t.teardown(() => browser.close());

    // Rooms: the room is listed with its two extremities; the filter narrows the list.
    await page.waitForSelector(`tr[data-room-id="${roomId}"]`);
    t.match(await page.$eval(`tr[data-room-id="${roomId}"]`, (el) => el.textContent), /Forked room/);
    await page.type('#room-filter', 'no such room');
    t.equal((await page.$$('tr[data-room-id]')).length, 0, 'the filter hides rooms that do not match');
    await page.click('#room-filter', { count: 3 });
    await page.keyboard.press('Backspace');
    await page.type('#room-filter', 'forked');
    t.equal((await page.$$('tr[data-room-id]')).length, 1, 'the filter finds the room by alias');
    await browser.shot('rooms');

    // Room graph: one node per stored event, two branches from a0, both of them extremities.
    await page.click(`tr[data-room-id="${roomId}"]`);
    await page.waitForSelector('main[data-ready="room"]');
    const api = await alice.get(`${INSPECTOR}/rooms/${enc(roomId)}/events?limit=500`);
    const nodes = async () => page.$$eval('g.node', (ns) => ns.map((n) => ({
      id: n.getAttribute('data-event-id')!, extremity: n.getAttribute('data-extremity') === 'true', type: n.getAttribute('data-type'),
    })));
    const edgesInto = async (id: string) => page.$$eval('path.edge', (es, to) => es.filter((e) => e.getAttribute('data-to') === to)
      .map((e) => e.getAttribute('data-from')), id);
    const edgesFrom = async (id: string) => page.$$eval('path.edge', (es, from) => es.filter((e) => e.getAttribute('data-from') === from)
      .map((e) => e.getAttribute('data-to')), id);
    let drawn = await nodes();
    t.equal(drawn.length, api.body.events.length, 'one node per event');
    t.equal(new Set(drawn.map((n) => n.id)).size, drawn.length, 'no event drawn twice');
    t.same(drawn.filter((n) => n.extremity).map((n) => n.id).sort(), [a1, b1].sort(), 'the two branch tips are highlighted as extremities');
    t.same((await edgesFrom(a0)).sort(), [a1, b1].sort(), 'two branches leave a0');
    t.match(await page.$eval('#graph-status', (el) => el.textContent), /2 forward extremities/);
    await browser.shot('room-graph-fork');

    // The merge: alice's next event points at both tips; the graph updates live.
    const a2 = (await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/a2`, { msgtype: 'm.text', body: 'together again' })).body.event_id;
    t.same(A.hs.storage.events.prevEventIds(a2).sort(), [a1, b1].sort(), 'the merge event has both tips as prev_events');
    await page.waitForSelector(`g.node[data-event-id="${a2}"]`);
    drawn = await nodes();
    t.same(drawn.filter((n) => n.extremity).map((n) => n.id), [a2], 'one extremity after the merge');
    t.same((await edgesInto(a2)).sort(), [a1, b1].sort(), 'the branches meet again at the merge event');
    await browser.shot('room-graph');

    // Clicking an event shows its federation JSON, its state and its auth chain.
    await page.click(`g.node[data-event-id="${b1}"]`);
    await page.waitForSelector('#event-json');
    const json = JSON.parse(await page.$eval('#event-json', (el) => el.textContent!));
    t.equal(json.event_id, b1, 'the JSON of the clicked event');
    t.ok(json.signatures?.[B.serverName], 'signed by the server that made it');
    t.ok(json.hashes?.sha256, 'with its content hash');
    t.ok(Array.isArray(json.auth_events) && json.auth_events.length > 0, 'with its auth_events');
    const stateTypes = await page.$$eval('#event-details tr[data-state-type]', (rows) => rows.map((r) => r.getAttribute('data-state-type')));
    t.ok(stateTypes.includes('m.room.create') && stateTypes.includes('m.room.member'), 'the room state at the event');
    const chain = await page.$$eval('#event-details tr[data-auth-type]', (rows) => rows.map((r) => r.getAttribute('data-auth-type')));
    t.ok(chain.includes('m.room.create') && chain.includes('m.room.power_levels'), 'the auth chain');
    await browser.shot('event-details');

    // Hostile content stays text: a message body with markup is shown, not run.
    const evil = (await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/x`, { msgtype: 'm.text', body: '<img src=x onerror="window.__pwned=1">' })).body.event_id;
    await page.waitForSelector(`g.node[data-event-id="${evil}"]`);
    await page.click(`g.node[data-event-id="${evil}"]`);
    await page.waitForFunction((id) => document.querySelector('#event-id')?.textContent === id, {}, evil);
    t.match(await page.$eval('#event-json', (el) => el.textContent), /<img src=x onerror/, 'markup shown as text');
    t.equal(await page.evaluate(() => (window as any).__pwned), undefined, 'and never executed');
    t.equal(await page.$('#event-details img'), null, 'no element made from data');

    // A PDU that fails the auth rules is drawn flagged, and says why when clicked.
    const valid = B.hs.persister.buildLocalEvent({ type: 'm.room.message', room_id: roomId, sender: bob.userId!, content: { msgtype: 'm.text', body: 'x' } });
    const intruder = hashAndSignEvent({ ...valid, sender: `@mallory:${B.serverName}`, signatures: {} } as Pdu, B.serverName, B.hs.signingKey);
    const pushed = await signedRequest(B, A, 'PUT', '/_matrix/federation/v1/send/intruder/', {
      body: { origin: B.serverName, origin_server_ts: Date.now(), pdus: [intruder] },
    });
    t.equal(pushed.status, 200);
    await goTo(page, '#/rooms', 'rooms');
    await goTo(page, `#/room/${encodeURIComponent(roomId)}`, 'room');
    const rejected = `g.node[data-event-id="${intruder.event_id}"]`;
    await page.waitForSelector(rejected);
    t.equal(await page.$eval(rejected, (n) => n.getAttribute('data-rejected')), 'true', 'the rejected event is flagged in the graph');
    await page.click(rejected);
    await page.waitForSelector('#event-rejection');
    t.match(await page.$eval('#event-rejection', (el) => el.textContent), /^Rejected: .+/, 'and its detail says why');
    await browser.shot('rejected-event');

    // Federation: B's transactions arrived and were accepted; Live lists the new events.
    await goTo(page, '#/federation', 'federation');
    await page.waitForSelector(`div[data-origin="${B.serverName}"]`);
    t.match(await page.$eval('#federation-view', (el) => el.textContent), new RegExp(`accepted\\s*${b1.replace(/[$.]/g, '\\$&')}`), 'b1 accepted in an inbound transaction');
    t.equal(await page.$eval(`[data-pdu="${intruder.event_id}"]`, (el) => el.getAttribute('data-accepted')), 'false', 'the intruder rejected');
    t.match(await page.$eval(`[data-pdu="${intruder.event_id}"]`, (el) => el.textContent), /rejected.*—\s*\S+/, 'with the reason');
    const row = `tr[data-destination="${B.serverName}"]`;
    await page.waitForSelector(row);
    await page.click(`${row} button[data-retry]`);
    await page.waitForFunction((sel) => /retrying/.test(document.querySelector(sel)?.textContent ?? ''), {}, row);
    t.pass('"Retry now" for a destination is accepted');
    await browser.shot('federation');
    await goTo(page, '#/live', 'live');
    t.match(await page.$eval('#live-feed', (el) => el.textContent), /m\.room\.message from @admin/, 'the live feed lists new events');
    await browser.shot('live');
  });

  t.test('a large room shows the latest 100 events, "load earlier" adds the rest; the graph pans and zooms', async (t) => {
    const shots = mkdtempSync(join(tmpdir(), 'inspector-shots-'));
    const { server, admin } = await startWithAdmin();
    t.teardown(() => server.close());
    const roomId = (await admin.post('/createRoom', {})).body.room_id as string;
    for (let i = 0; i < 110; i++) await admin.put(`/rooms/${enc(roomId)}/send/m.room.message/m${i}`, { msgtype: 'm.text', body: `m${i}` });
    const total = (await admin.get(`${INSPECTOR}/rooms/${enc(roomId)}/events?limit=500`)).body.events.length;
    const browser = await openInspector(chromium, server.url, shots);
    const { page } = browser;
    t.teardown(() => browser.close());
    await goTo(page, `#/room/${encodeURIComponent(roomId)}`, 'room');
    t.equal((await page.$$('g.node')).length, 100, 'the latest 100 events');
    t.equal(await page.$eval('#load-earlier', (b) => (b as HTMLButtonElement).disabled), false, 'more can be loaded');
    await page.click('#load-earlier');
    await page.waitForFunction((n) => document.querySelectorAll('g.node').length === n, {}, total);
    t.equal(await page.$eval('#load-earlier', (b) => (b as HTMLButtonElement).disabled), true, 'everything is loaded');
    t.equal(await page.$$eval('g.node[data-type="m.room.create"]', (ns) => ns.length), 1, 'down to the create event');

    const transform = () => page.$eval('g.viewport', (g) => g.getAttribute('transform'));
    const before = await transform();
    const box = (await (await page.$('svg[data-testid="graph-svg"]'))!.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel({ deltaY: -400 });
    const zoomed = await transform();
    t.not(zoomed, before, 'the wheel zooms');
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 80, { steps: 5 });
    await page.mouse.up();
    t.not(await transform(), zoomed, 'dragging pans');
    await page.click('#fit');
    t.match(await transform(), /scale\(0\.\d+\)/, '"Fit" shows the whole graph');
  });
}
