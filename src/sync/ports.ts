// What sync/ needs from the subsystems above it. The composition root passes an implementation;
// a disabled feature gets the no-op below, never an optional collaborator.
import type { Requester } from '../accounts/auth.js';
import type { JsonObject, Pdu } from '../events/index.js';

export interface PresenceUpdate {
  presence: string;
  last_active_ago?: number;
  status_msg?: string | null;
  displayname?: string | null;
  avatar_url?: string | null;
}

/** Typing, presence and receipts out to other servers: federation implements it. */
export interface EduSender {
  sendTyping(roomId: string, userId: string, typing: boolean): void;
  sendPresence(userId: string, update: PresenceUpdate): void;
  sendPresenceTo(destination: string, pushes: (PresenceUpdate & { user_id: string })[]): void;
  pollPresence(destination: string, userIds: string[]): void;
  sendReceipt(roomId: string, receiptType: string, userId: string, eventIds: string[], data: JsonObject): void;
}

/** Federation switched off: EDUs stay on this server. */
export const noEduSender: EduSender = {
  sendTyping: () => {},
  sendPresence: () => {},
  sendPresenceTo: () => {},
  pollPresence: () => {},
  sendReceipt: () => {},
};

/** Application services as the event stream sees them (an AS sender's /events covers its namespaces). */
export interface AppserviceView {
  /** The id of the service whose sender user this requester is, if any. */
  senderServiceId(requester: Requester): string | undefined;
  /** Whether the service's namespaces cover the event. */
  isInterested(serviceId: string, pdu: Pdu): boolean;
}

/** No application service registered. */
export const noAppserviceView: AppserviceView = {
  senderServiceId: () => undefined,
  isInterested: () => false,
};
