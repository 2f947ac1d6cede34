// The registered application services and what their namespaces claim.
import type { AppServiceIdentity, AppServiceTokens, Requester } from '../accounts/auth.js';
import type { AppService, Namespace } from './registration.js';
import { exclusive } from '../errors.js';

const matches = (list: Namespace[], id: string) => list.some((n) => n.regex.test(id));

export class AppServiceRegistry implements AppServiceTokens {
  private readonly services: AppService[] = [];
  private readonly byToken = new Map<string, AppService>();

  constructor(private readonly serverName: string) {}

  add(service: AppService): void {
    this.services.push(service);
    this.byToken.set(service.asToken, service);
  }

  all(): readonly AppService[] {
    return this.services;
  }

  byId(id: string): AppService | undefined {
    return this.services.find((s) => s.id === id);
  }

  senderOf(s: AppService): string {
    return `@${s.senderLocalpart}:${this.serverName}`;
  }

  /** The service's sender counts as its own (exclusive) user even if no regex covers it. */
  ownsUser(s: AppService, userId: string): boolean {
    return userId === this.senderOf(s) || matches(s.namespaces.users, userId);
  }

  ownsAlias(s: AppService, alias: string): boolean {
    return matches(s.namespaces.aliases, alias);
  }

  ownsRoom(s: AppService, roomId: string): boolean {
    return matches(s.namespaces.rooms, roomId);
  }

  byAsToken(token: string): AppServiceIdentity | undefined {
    const s = this.byToken.get(token);
    if (!s) return undefined;
    return { id: s.id, senderUserId: this.senderOf(s), rateLimited: s.rateLimited, canActAs: (u) => this.mayMasquerade(s, u) };
  }

  /**
   * A service acts only as LOCAL users it owns: a namespace regex such as `@irc_.*` also matches
   * `@irc_x:otherserver`, and signing events for another server's users would fork the room.
   */
  private mayMasquerade(s: AppService, userId: string): boolean {
    const i = userId.indexOf(':');
    return userId.startsWith('@') && i > 1 && userId.slice(i + 1) === this.serverName && this.ownsUser(s, userId);
  }

  serviceOf(requester: Requester): AppService | undefined {
    return requester.appserviceId ? this.byId(requester.appserviceId) : undefined;
  }

  /** A normal registration may not take a user id that a service claims exclusively. */
  checkUserNotExclusive(userId: string): void {
    for (const s of this.services) {
      if (userId === this.senderOf(s) || s.namespaces.users.some((n) => n.exclusive && n.regex.test(userId))) {
        throw exclusive('This user ID is reserved by an application service.');
      }
    }
  }

  /**
   * Aliases inside a service's exclusive namespace belong to that service (its sender or
   * its virtual users). The service acting as itself (no ?user_id=) may only touch aliases
   * inside its own namespaces, as in Synapse 0.10; its virtual users are like other users.
   */
  checkAlias(alias: string, requester: Requester): void {
    const own = this.serviceOf(requester);
    if (own && requester.userId === this.senderOf(own) && !this.ownsAlias(own, alias)) {
      throw exclusive('This application service has not reserved this kind of alias.');
    }
    for (const s of this.services) {
      if (s === own) continue;
      if (s.namespaces.aliases.some((n) => n.exclusive && n.regex.test(alias))) {
        throw exclusive('This alias is reserved by an application service.');
      }
    }
  }

  /** Services whose alias namespace covers `alias`, to ask about an unknown alias. */
  aliasOwners(alias: string): AppService[] {
    return this.services.filter((s) => this.ownsAlias(s, alias));
  }

  userOwners(userId: string): AppService[] {
    return this.services.filter((s) => matches(s.namespaces.users, userId));
  }
}
