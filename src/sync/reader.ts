// What the readers of sync/ (the v1 event stream, /messages, v2 /sync) use of the SyncService
// that owns them: the EDU services, the shared formatter and visibility, tokens and access checks.
// An interface, so the readers do not import the service that builds them.
import type { EventRow } from '../storage/events.js';
import type { ClientEvents } from './client-events.js';
import type { HistoryVisibility } from './visibility.js';
import type { TypingService } from './typing.js';
import type { PresenceService } from './presence.js';
import type { ReceiptService } from './receipts.js';
import type { StreamToken } from './tokens.js';

export interface SyncReader {
  readonly events: ClientEvents;
  readonly visibility: HistoryVisibility;
  readonly typing: TypingService;
  readonly presence: PresenceService;
  readonly receipts: ReceiptService;
  currentToken(): StreamToken;
  /** Throws unless the user may read the room; says whether they read from outside (peeking). */
  historyAccess(userId: string, roomId: string): boolean;
  readAccess(userId: string, roomId: string): { leave: EventRow | null; peeking: boolean };
}
