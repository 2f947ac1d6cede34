import { randomBytes } from 'node:crypto';
import { MatrixError } from '../errors.js';
import type { AccountService, Session } from './account-service.js';
import { noCaptcha, type CaptchaVerifier } from './recaptcha.js';

/** What registration needs to know about the request besides its body. */
export interface RegistrationContext {
  /** The access token the request carried (an application service's as_token), if any. */
  accessToken: string | undefined;
  /** The client's address (captcha verification). */
  ip: string;
}

/** A v1 registration type: `POST /register {"type": ...}`. Application services add their own. */
export type RegistrationHandler = (body: Record<string, unknown>, ctx: RegistrationContext) => Promise<Session>;

/** Registration of a user by an application service with its as_token (appservice/ implements it). */
export interface AppserviceRegistrar {
  register(asToken: string | undefined, localpart: unknown): Promise<Session>;
}

const SESSION_TTL_MS = 10 * 60 * 1000;

/**
 * The v1 registration types and the v2_alpha user-interactive flow matrix-js-sdk 0.3 uses
 * (a first call answers 401 with a session; the second completes m.login.dummy).
 */
export class RegistrationFlows {
  private readonly v1Types = new Map<string, RegistrationHandler>();
  private readonly sessions = new Map<string, { at: number; completed: Set<string> }>();

  constructor(
    private readonly accounts: AccountService,
    private readonly clock: () => number,
    /** m.login.application_service (v1) and as_token registration on v2_alpha. */
    private readonly appservices: AppserviceRegistrar,
    private readonly captcha: CaptchaVerifier = noCaptcha,
    private readonly captchaRequired = false,
  ) {
    this.v1Types.set('m.login.password', (b) => accounts.registerWithPassword(b.user, b.password));
    this.v1Types.set('org.matrix.login.shared_secret', (b) =>
      accounts.registerWithSharedSecret(b.user, b.password, b.mac, b.admin === true),
    );
    this.v1Types.set('m.login.application_service', (b, ctx) => appservices.register(ctx.accessToken, b.user ?? b.username));
  }

  async registerV1(body: Record<string, unknown>, ctx: RegistrationContext): Promise<Session> {
    if (typeof body.type !== 'string') throw new MatrixError(400, 'M_MISSING_PARAM', "Missing 'type' key.");
    const handler = this.v1Types.get(body.type);
    if (!handler) throw new MatrixError(400, 'M_UNKNOWN', `Unknown login type ${body.type}`);
    return handler(body, ctx);
  }

  /**
   * Returns a session, or the 401 body naming the flows and the stages completed so far. As
   * Synapse 0.12: the flow is m.login.recaptcha when captcha is required, else m.login.dummy
   * (matrix-js-sdk 0.3's two-step flow); a submitted m.login.recaptcha stage is verified and
   * recorded in the session even when no flow needs it.
   */
  async registerV2(body: Record<string, unknown>, ctx: RegistrationContext): Promise<Session | { status: 401; body: object }> {
    if (ctx.accessToken !== undefined) return this.appservices.register(ctx.accessToken, body.username ?? body.user);
    this.accounts.checkOpenRegistration(body.password);
    const auth = body.auth as Record<string, unknown> | undefined;
    this.expireSessions();
    const flow = this.captchaRequired ? 'm.login.recaptcha' : 'm.login.dummy';
    const known = auth && typeof auth.session === 'string' ? this.sessions.get(auth.session) : undefined;
    const sessionId = known ? (auth!.session as string) : randomBytes(18).toString('base64url');
    const session = known ?? { at: this.clock(), completed: new Set<string>() };
    if (auth?.type === 'm.login.recaptcha') {
      await this.captcha.verify(auth.response, ctx.ip);
      session.completed.add('m.login.recaptcha');
    } else if (auth?.type === 'm.login.dummy' && known) {
      session.completed.add('m.login.dummy');
    }
    if (!session.completed.has(flow)) {
      this.sessions.set(sessionId, session);
      const params = this.captcha.publicKey ? { 'm.login.recaptcha': { public_key: this.captcha.publicKey } } : {};
      return { status: 401, body: { session: sessionId, flows: [{ stages: [flow] }], params, completed: [...session.completed] } };
    }
    const result = await this.accounts.registerWithPassword(body.username, body.password);
    this.sessions.delete(sessionId);
    return result;
  }

  private expireSessions(): void {
    const now = this.clock();
    for (const [s, { at }] of this.sessions) if (now - at > SESSION_TTL_MS) this.sessions.delete(s);
  }
}
