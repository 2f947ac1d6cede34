import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Storage } from '../storage/index.js';
import { MatrixError, forbidden, userInUse, badJson } from '../errors.js';
import type { PasswordHasher } from './passwords.js';
import type { LoginLimiter } from './rate-limit.js';
import { newAccessToken, tokenHash } from './tokens.js';
import type { UserNamespaces } from './ports.js';
import { randomLetters } from '../random.js';

export interface Session {
  user_id: string;
  access_token: string;
  home_server: string;
}

const LOCALPART = /^[a-z0-9._=\-/]+$/;
/** Longer passwords only cost hashing time. */
const MAX_PASSWORD_LENGTH = 1024;

/** Registration, login and sessions of local users. */
export class AccountService {
  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
    private readonly enableRegistration: boolean,
    private readonly sharedSecret: string | null,
    private readonly clock: () => number,
    private readonly passwords: { hasher: PasswordHasher; failedLogins: LoginLimiter },
    /** Application-service namespaces: a user id a service claims exclusively is refused (M_EXCLUSIVE). */
    private readonly namespaces: UserNamespaces,
  ) {}

  userIdFor(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  /**
   * Checks a requested localpart (lowercased, as later Synapse did) and returns the user id.
   * An application service registering in its own namespace passes `checkExclusive: false`.
   */
  validateNewUser(localpart: unknown, opts: { checkExclusive?: boolean } = {}): string {
    if (localpart !== undefined && typeof localpart !== 'string') throw badJson("'user' must be a string");
    const lp = (localpart ?? `-${randomLetters(18).toLowerCase()}`).toLowerCase();
    if (lp === '' || !LOCALPART.test(lp)) {
      throw new MatrixError(400, 'M_INVALID_USERNAME', 'User ID can only contain characters a-z, 0-9, or ._=-/');
    }
    const userId = this.userIdFor(lp);
    if (userId.length > 255) throw new MatrixError(400, 'M_INVALID_USERNAME', 'User ID is too long');
    if (opts.checkExclusive !== false) this.namespaces.checkUserNotExclusive(userId);
    if (this.storage.users.findUserCaseInsensitive(userId)) throw userInUse();
    return userId;
  }

  /** Open registration with a password (v1 m.login.password and v2_alpha). */
  async registerWithPassword(localpart: unknown, password: unknown): Promise<Session> {
    this.checkOpenRegistration(password);
    const userId = this.validateNewUser(localpart);
    return this.createUser(userId, await this.passwords.hasher.hash(password));
  }

  /** Open registration must be enabled and carry a password (checked before any user-interactive flow). */
  checkOpenRegistration(password: unknown): asserts password is string {
    if (!this.enableRegistration) throw forbidden('Registration has been disabled');
    if (typeof password !== 'string' || password === '') throw new MatrixError(400, 'M_MISSING_PARAM', "Missing 'password'");
  }

  /** org.matrix.login.shared_secret: mac = hex HMAC-SHA1(secret, user). Works when registration is closed. */
  async registerWithSharedSecret(localpart: unknown, password: unknown, mac: unknown, admin = false): Promise<Session> {
    if (!this.sharedSecret) throw forbidden('Shared secret registration is not enabled');
    if (typeof localpart !== 'string' || typeof password !== 'string' || typeof mac !== 'string') {
      throw new MatrixError(400, 'M_MISSING_PARAM', "Expected 'user', 'password' and 'mac'");
    }
    const want = createHmac('sha1', this.sharedSecret).update(localpart).digest();
    const got = Buffer.from(mac, 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw forbidden('HMAC incorrect');
    const userId = this.validateNewUser(localpart);
    return this.createUser(userId, await this.passwords.hasher.hash(password), { admin });
  }

  /** Creates the account (no password for application service users) and a first session. */
  createUser(userId: string, passwordHash: string | null, opts: { admin?: boolean; appserviceId?: string } = {}): Session {
    return this.storage.transaction(() => {
      if (this.storage.users.findUserCaseInsensitive(userId)) throw userInUse();
      this.storage.users.createUser(userId, passwordHash, this.clock(), opts);
      this.storage.users.setDisplayname(userId, userId.slice(1, userId.indexOf(':')));
      return this.newSession(userId);
    });
  }

  /** `address` is the client's address: failures are limited per user and per address. */
  async login(user: unknown, password: unknown, address: string): Promise<Session> {
    if (typeof user !== 'string' || typeof password !== 'string') throw new MatrixError(400, 'M_MISSING_PARAM', "Expected 'user' and 'password'");
    if (user.length > 255 || password.length > MAX_PASSWORD_LENGTH) throw forbidden('Invalid username or password');
    const userId = user.startsWith('@') ? user : this.userIdFor(user);
    const row = this.storage.users.getUser(userId) ?? this.storage.users.findUserCaseInsensitive(userId);
    const attempt = this.passwords.failedLogins.begin((row?.user_id ?? userId).toLowerCase(), address);
    // Same answer for an unknown user and a wrong password, and always pay for one hash.
    const { hasher } = this.passwords;
    const ok = row ? await hasher.verify(password, row.password_hash) : (await hasher.hash(password), false);
    if (!row || !ok) throw forbidden('Invalid username or password');
    attempt.succeeded();
    return this.newSession(row.user_id);
  }

  newSession(userId: string): Session {
    const token = newAccessToken();
    this.storage.users.addAccessToken(tokenHash(token), userId, this.clock());
    return { user_id: userId, access_token: token, home_server: this.serverName };
  }

  logout(tokenHashValue: string): void {
    this.storage.users.removeAccessToken(tokenHashValue);
  }

  /** POST /login {"type": "m.login.password", "user", "password"}; Synapse 0.12 also handed out a refresh token. */
  async loginV1(body: Record<string, unknown>, ip: string): Promise<Session & { refresh_token: string }> {
    if (body.type !== 'm.login.password') throw new MatrixError(400, 'M_UNKNOWN', 'Bad login type.');
    const session = await this.login(body.user, body.password, ip);
    return { ...session, refresh_token: this.issueRefreshToken(session.user_id) };
  }

  /**
   * POST /v2_alpha/tokenrefresh {"refresh_token"} (Synapse 0.12): a new access token and a new
   * refresh token; the old refresh token stops working.
   */
  refreshTokens(body: unknown): { access_token: string; refresh_token: string } {
    const token = (body as Record<string, unknown> | null)?.refresh_token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 256) throw new MatrixError(400, 'M_MISSING_PARAM', "Missing 'refresh_token'");
    const userId = this.storage.refreshTokens.consume(tokenHash(token));
    if (!userId) throw forbidden('Did not recognize refresh token');
    return { access_token: this.newSession(userId).access_token, refresh_token: this.issueRefreshToken(userId) };
  }

  private issueRefreshToken(userId: string): string {
    const token = newAccessToken();
    this.storage.refreshTokens.add(tokenHash(token), userId, this.clock());
    return token;
  }

  /** POST /v2_alpha/register?kind=guest (Synapse 0.12): an account with a numeric localpart and no password. */
  registerGuest(allowed: boolean): Session {
    if (!allowed) throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access not allowed');
    for (let attempt = 0; attempt < 10; attempt++) {
      const userId = this.userIdFor(String(randomInt(1, 2 ** 47)));
      const created = this.storage.transaction(() => {
        if (this.storage.users.findUserCaseInsensitive(userId)) return false;
        this.storage.users.createGuest(userId, this.clock());
        return true;
      });
      if (created) return this.newSession(userId);
    }
    throw new MatrixError(500, 'M_UNKNOWN', 'Could not allocate a guest user id');
  }
}
