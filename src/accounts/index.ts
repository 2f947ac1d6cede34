// Wiring of accounts/: registration and login, profiles, push rules, and the send rate limiter.
import type { Homeserver } from '../homeserver.js';
import { AccountService } from './account-service.js';
import { RegistrationFlows } from './registration-flows.js';
import { RecaptchaVerifier, noCaptcha } from './recaptcha.js';
import { ProfileService } from './profile-service.js';
import { PushRuleService } from './push-rules-service.js';
import { RateLimiter, LoginLimiter } from './rate-limit.js';
import { PasswordHasher } from './passwords.js';

export interface AccountsModule {
  accounts: AccountService;
  registration: RegistrationFlows;
  profiles: ProfileService;
  pushRules: PushRuleService;
}

/**
 * Builds the account services and installs hs.rateLimit. Other modules plug in through
 * accounts.exclusiveUserCheck, registration.v1Types / v2AppserviceHandler and
 * profiles.queryRemote / queryAppserviceUser.
 */
export function installAccounts(hs: Homeserver): AccountsModule {
  const { config, storage, clock } = hs;
  const rl = config.rateLimiting;
  const accounts = new AccountService(storage, config.serverName, config.enableRegistration, config.registrationSharedSecret, clock, {
    hasher: new PasswordHasher(rl.passwordHashConcurrency, rl.passwordHashQueue),
    failedLogins: new LoginLimiter(rl.loginFailures, clock),
  });
  const limiter = new RateLimiter(config.rateLimiting.perSecond, config.rateLimiting.burst, clock);
  hs.rateLimit = (requester) => limiter.check(requester);
  return {
    accounts,
    registration: new RegistrationFlows(accounts, clock,
      config.recaptcha ? new RecaptchaVerifier(config.recaptcha) : noCaptcha, config.recaptcha?.required ?? false),
    profiles: new ProfileService(storage, hs.rooms, config.serverName),
    pushRules: new PushRuleService(storage),
  };
}
