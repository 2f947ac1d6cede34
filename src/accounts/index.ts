// Building accounts/: registration and login, the authenticator, the send rate limiter,
// registration flows, profiles and push rules. Each takes its collaborators at construction.
import type { ServerConfig } from '../config.js';
import type { Storage } from '../storage/index.js';
import { AccountService } from './account-service.js';
import { Authenticator, type AppServiceTokens, type Requester } from './auth.js';
import { RegistrationFlows, type AppserviceRegistrar } from './registration-flows.js';
import { RecaptchaVerifier, noCaptcha } from './recaptcha.js';
import { RateLimiter, LoginLimiter } from './rate-limit.js';
import { PasswordHasher } from './passwords.js';
import type { UserNamespaces } from './ports.js';

export interface AccountsDeps {
  config: ServerConfig;
  storage: Storage;
  clock: () => number;
  /** Application-service namespaces: exclusivity and lazy user queries (a policy: required). */
  namespaces: UserNamespaces;
  /** The application services' as_tokens, for authentication. */
  tokens: AppServiceTokens;
}

export interface Accounts {
  accounts: AccountService;
  auth: Authenticator;
  /** Throws 429 M_LIMIT_EXCEEDED when a requester sends too fast. */
  rateLimit: (r: Requester) => void;
}

export function buildAccounts({ config, storage, clock, namespaces, tokens }: AccountsDeps): Accounts {
  const rl = config.rateLimiting;
  const accounts = new AccountService(storage, config.serverName, config.enableRegistration, config.registrationSharedSecret, clock, {
    hasher: new PasswordHasher(rl.passwordHashConcurrency, rl.passwordHashQueue),
    failedLogins: new LoginLimiter(rl.loginFailures, clock),
  }, namespaces);
  const limiter = new RateLimiter(rl.perSecond, rl.burst, clock);
  return { accounts, auth: new Authenticator(storage, tokens), rateLimit: (requester) => limiter.check(requester) };
}

/** v1 registration types and the v2_alpha flows; application services register through `appservices`. */
export function buildRegistration(config: ServerConfig, accounts: AccountService, clock: () => number, appservices: AppserviceRegistrar): RegistrationFlows {
  return new RegistrationFlows(accounts, clock, appservices,
    config.recaptcha ? new RecaptchaVerifier(config.recaptcha) : noCaptcha, config.recaptcha?.required ?? false);
}
