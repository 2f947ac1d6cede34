// The real matrix-js-sdk 0.3 (Oct 2015) against our server: log in, create a room, send, and a
// second client receives the message through its event stream.
import t from 'tap';
import { createRequire } from 'node:module';
import { startServer, Client } from '../helpers/server.js';

const sdk = createRequire(import.meta.url)('matrix-js-sdk');

t.test('matrix-js-sdk 0.3: a message sent by one client arrives on another through /events', async (t) => {
  const server = await startServer();
  const clients: any[] = [];
  t.teardown(async () => {
    for (const c of clients) c.stopClient();
    await server.close();
  });
  await Client.register(server, 'ann', 'ann-password');
  await Client.register(server, 'ben', 'ben-password');

  const login = async (user: string, password: string) => {
    const creds = await sdk.createClient({ baseUrl: server.url }).loginWithPassword(user, password);
    const client = sdk.createClient({ baseUrl: server.url, accessToken: creds.access_token, userId: creds.user_id });
    clients.push(client);
    return client;
  };
  const ann = await login('ann', 'ann-password');
  const ben = await login('ben', 'ben-password');

  const synced = (c: any) => new Promise<void>((resolve) => c.on('syncComplete', () => resolve()));
  const annSynced = synced(ann);
  const benSynced = synced(ben);
  ann.startClient({ initialSyncLimit: 8 });
  ben.startClient({ initialSyncLimit: 8 });
  await Promise.all([annSynced, benSynced]);

  const { room_id: roomId } = await ann.createRoom({ visibility: 'private', name: 'SDK room' });
  const invited = new Promise<void>((resolve) =>
    ben.on('event', (e: any) => {
      if (e.getType() === 'm.room.member' && e.getStateKey() === ben.credentials.userId && e.getContent().membership === 'invite') resolve();
    }),
  );
  await ann.invite(roomId, ben.credentials.userId);
  await invited;
  await ben.joinRoom(roomId);

  const received = new Promise<any>((resolve) =>
    ben.on('event', (e: any) => {
      if (e.getType() === 'm.room.message' && e.getRoomId() === roomId) resolve(e);
    }),
  );
  const sent = await ann.sendTextMessage(roomId, 'hello from 2015');
  const event = await received;
  t.equal(event.getContent().body, 'hello from 2015');
  t.equal(event.getSender(), ann.credentials.userId);
  t.equal(event.getId(), sent.event_id);
  const room = ben.getRoom(roomId);
  t.ok(room, 'the second client knows the room');
  t.ok(room.timeline.some((e: any) => e.getId() === sent.event_id), "the message is in the room's timeline");
});
