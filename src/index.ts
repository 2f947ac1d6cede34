// The package's public entry: what a bridge's or bot's tests may import.
//
//   import { startHomeserver } from 'matrix-homeserver-2015';
//   const hs = await startHomeserver();      // in-memory, port 0-like free port, silent
//   const alice = await hs.registerUser('alice');
//   ...
//   await hs.stop();
export {
  startHomeserver,
  startFederatedPair,
  type StartHomeserverOptions,
  type RunningHomeserver,
  type RegisteredUser,
  type FederatedPair,
} from './testkit.js';
export type { AppService } from './appservice/registration.js';
export { VERSION } from './version.js';
