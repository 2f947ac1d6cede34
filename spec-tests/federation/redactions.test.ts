// Redactions that come in over federation: they redact the target for our clients, also when
// the redaction arrives before the event it redacts.
import t from 'tap';
import type { Client } from '../helpers/server.js';
import { enc, federatedRoom, readEventsUntil, waitFor } from './helpers.js';
import { alter, honestNext, sendPdus, visible } from './forge.js';

/** What alice's client gets for an event: /events/{id}, its /messages and initialSync entries. */
async function everyCopy(alice: Client, roomId: string, eventId: string): Promise<{ texts: string[]; copies: any[] }> {
  const single = await alice.get(`/events/${enc(eventId)}`);
  const seen = await visible(alice, roomId);
  const copies = [single.body, ...seen.timeline, ...seen.sync.messages.chunk].filter((e: any) => e?.event_id === eventId);
  return { texts: [single.text, JSON.stringify(seen.timeline), JSON.stringify(seen.sync)], copies };
}

function assertRedacted(t: any, copies: any[], redactionId: string, what: string): void {
  t.ok(copies.length >= 2, `${what}: found in /events/{id} and the room's timeline (${copies.length} copies)`);
  for (const e of copies) {
    t.same(e.content, {}, `${what}: content is redacted`);
    t.equal(e.redacted_because?.event_id, redactionId, `${what}: redacted_because names the redaction`);
  }
}

t.test("a redaction from another server redacts the target for our clients: the sender's own message, and one of ours with power", async (t) => {
  const { alice, bob, roomId } = await federatedRoom(t, { alias: 'redactions' });
  const own = (await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/b1`, { msgtype: 'm.text', body: 'regrettable words' })).body.event_id as string;
  await waitFor(async () => (await alice.get(`/events/${enc(own)}`)).body?.content?.body === 'regrettable words', "bob's message on A");
  const redaction = await bob.post(`/rooms/${enc(roomId)}/redact/${enc(own)}`, { reason: 'oops' });
  t.equal(redaction.status, 200);
  await waitFor(async () => (await alice.get(`/events/${enc(own)}`)).body?.content?.body === undefined, "bob's redaction applied on A");
  const first = await everyCopy(alice, roomId, own);
  assertRedacted(t, first.copies, redaction.body.event_id, "bob's own message");
  t.notOk(first.texts.some((x) => x.includes('regrettable')), 'the redacted text is in no answer');

  // alice gives bob the redact level; his redaction of her message is applied on A too.
  const pl = (await alice.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
  t.equal((await alice.put(`/rooms/${enc(roomId)}/state/m.room.power_levels`, { ...pl, users: { ...pl.users, [bob.userId!]: pl.redact ?? 50 } })).status, 200);
  const hers = (await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/a1`, { msgtype: 'm.text', body: 'moderate me' })).body.event_id as string;
  await waitFor(async () => (await bob.get(`/events/${enc(hers)}`)).status === 200, "alice's message on B");
  await waitFor(async () => (await bob.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body?.users?.[bob.userId!] === (pl.redact ?? 50), "bob's level on B");
  const moderation = await bob.post(`/rooms/${enc(roomId)}/redact/${enc(hers)}`, {});
  t.equal(moderation.status, 200, moderation.text);
  await waitFor(async () => (await alice.get(`/events/${enc(hers)}`)).body?.content?.body === undefined, "bob's redaction of alice's message on A");
  const second = await everyCopy(alice, roomId, hers);
  assertRedacted(t, second.copies, moderation.body.event_id, "alice's message");
});

t.test('a redaction that arrives before its target: the target is redacted when it arrives', async (t) => {
  const { A, B, alice, bob, roomId } = await federatedRoom(t, { alias: 'early' });
  const from = (await alice.get('/initialSync?limit=0')).body.end as string;
  // B's message and its redaction of it, siblings in the graph, delivered redaction first.
  const target = honestNext(B, { type: 'm.room.message', room_id: roomId, sender: bob.userId!, content: { msgtype: 'm.text', body: 'delete before reading' } });
  const redaction = alter(B, target, { type: 'm.room.redaction', redacts: target.event_id, content: { reason: 'too late' } });

  t.same(await sendPdus(B, A, [redaction]), { [redaction.event_id]: {} }, 'the redaction alone is accepted');
  t.equal((await alice.get(`/events/${enc(target.event_id)}`)).status, 404, 'its target is not known yet');
  t.same(await sendPdus(B, A, [target]), { [target.event_id]: {} }, 'then the target is accepted');

  const { copies, texts } = await everyCopy(alice, roomId, target.event_id);
  assertRedacted(t, copies, redaction.event_id, 'the late target');
  t.notOk(texts.some((x) => x.includes('delete before reading')), 'its text is in no answer');
  const stream = await readEventsUntil(alice, from, (evs) => evs.some((e) => e.event_id === target.event_id), 'the target in the stream');
  const inStream = stream.events.find((e) => e.event_id === target.event_id);
  t.same(inStream.content, {}, 'redacted in the /events stream too');
  t.ok(stream.events.some((e) => e.event_id === redaction.event_id && e.redacts === target.event_id), 'and the redaction itself is in the stream');
});
