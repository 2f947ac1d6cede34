// A network partition between two real servers: each server's name carries the port of a real
// TCP proxy in front of it, so other servers reach it only through that proxy, while its own
// clients talk to it directly. Cutting the proxies cuts federation both ways, and nothing else.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort, type TestServer } from '../helpers/server.js';
import { startFederating, roomBetween, type FederatedRoom, type FederatedRoomOptions } from './helpers.js';

/** The way in to one server from its peers. */
export class Link {
  private readonly sockets = new Set<Socket>();
  private isCut = false;

  private constructor(private readonly server: Server, readonly port: number, private readonly target: number) {}

  /** Listens on a free loopback port and forwards every connection to `target`. */
  static async open(target: number): Promise<Link> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const link = new Link(server, (server.address() as { port: number }).port, target);
    server.on('connection', (s) => link.accept(s));
    return link;
  }

  /** Drops every open connection and refuses new ones until `heal()`. */
  cut(): void {
    this.isCut = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  heal(): void {
    this.isCut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(inbound: Socket): void {
    if (this.isCut) {
      inbound.destroy();
      return;
    }
    const outbound = connect(this.target, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      this.sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        this.sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  }
}

type Teardown = { teardown(fn: () => Promise<void> | void): void };

/** A federating server reached by its peers only through a Link. */
export async function startBehindLink(t: Teardown): Promise<{ server: TestServer; link: Link }> {
  const port = await freePort();
  const link = await Link.open(port);
  const server = await startFederating({ port, namePort: link.port });
  t.teardown(async () => {
    await link.close();
    await server.close();
  });
  return { server, link };
}

export interface PartitionableRoom extends FederatedRoom {
  /** Cuts federation between A and B, both ways. */
  partition(): void;
  heal(): void;
}

/** `federatedRoom`, with both servers behind links that the test can cut and heal. */
export async function partitionableRoom(t: Teardown, opts: FederatedRoomOptions = {}): Promise<PartitionableRoom> {
  const [a, b] = await Promise.all([startBehindLink(t), startBehindLink(t)]);
  const room = await roomBetween(a.server, b.server, opts);
  return {
    ...room,
    partition: () => {
      a.link.cut();
      b.link.cut();
    },
    heal: () => {
      a.link.heal();
      b.link.heal();
    },
  };
}
