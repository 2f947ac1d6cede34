// PUT /send/{txnId} (federation-v1.md §2): dedupe by (origin, txnId), each PDU through the
// receiving pipeline in order, EDUs dispatched by type, the answer stored and replayed on retry.
import type { Homeserver } from '../homeserver.js';
import { topLevelArrayElements } from '../crypto/index.js';
import { isJsonObject, type JsonObject } from '../events/index.js';
import { MatrixError, badJson } from '../errors.js';
import type { InboundPdus } from './inbound.js';
import { PeerRequestError, PeerUnreachableError } from './client.js';
import type { Keyring } from './keyring.js';
import { checkPdu, pduShapeError, PduRejected } from './pdu-check.js';

export type EduHandler = (origin: string, content: JsonObject) => void;

export class TransactionReceiver {
  private readonly inflight = new Map<string, Promise<string>>();
  readonly eduHandlers = new Map<string, EduHandler>();

  constructor(private readonly hs: Homeserver, private readonly inbound: InboundPdus, private readonly keyring: Keyring) {}

  /** Returns the response JSON text. Throws MatrixError for a transaction that cannot be read at all. */
  async receive(origin: string, txnId: string, body: unknown, rawBody: string): Promise<string> {
    const stored = this.hs.storage.federation.inboundTxn(origin, txnId);
    if (stored !== undefined) return stored;
    const key = `${origin}\u0000${txnId}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.process(origin, txnId, body, rawBody).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async process(origin: string, txnId: string, body: unknown, rawBody: string): Promise<string> {
    if (!isJsonObject(body)) throw badJson('Invalid transaction: body must be a JSON object');
    if (body.origin !== undefined && body.origin !== origin) {
      throw new MatrixError(400, 'M_FORBIDDEN', `Transaction origin ${String(body.origin)} does not match the signing server ${origin}`);
    }
    const pdus = body.pdus ?? [];
    if (!Array.isArray(pdus)) throw badJson("Invalid transaction: 'pdus' must be a list");
    const texts = pdus.length ? topLevelArrayElements(rawBody, 'pdus') : [];
    if (!texts || texts.length !== pdus.length) throw badJson('Invalid transaction: cannot read pdus');
    pdus.forEach((p, i) => {
      const problem = pduShapeError(p);
      // Without an event_id there is nothing to key a per-PDU answer by: refuse the transaction.
      if (problem && !(isJsonObject(p) && typeof p.event_id === 'string')) {
        throw badJson(`Invalid transaction: PDU ${i}: ${problem}`);
      }
    });
    // Keyed by the peer's event ids: no prototype, so an id like `__proto__` is an ordinary key.
    const results: Record<string, JsonObject> = Object.create(null);
    for (let i = 0; i < pdus.length; i++) {
      const id = (pdus[i] as JsonObject).event_id as string;
      results[id] = await this.onPdu(origin, texts[i]!, pdus[i]);
    }
    const edus = Array.isArray(body.edus) ? body.edus : [];
    for (const edu of edus) this.onEdu(origin, edu);
    const response = JSON.stringify({ pdus: results });
    this.hs.storage.federation.recordInboundTxn(origin, txnId, response, this.hs.clock());
    return response;
  }

  private async onPdu(origin: string, raw: string, parsed: unknown): Promise<JsonObject> {
    try {
      const c = await checkPdu(raw, parsed, this.keyring, this.hs.clock());
      return await this.inbound.locks.run(c.pdu.room_id, async () => {
        // Checked under the lock: a join of ours in progress holds it until the room is ours too.
        if (this.hs.storage.events.forwardExtremities(c.pdu.room_id).length === 0) return { error: `Not in room ${c.pdu.room_id}` };
        await this.inbound.process(origin, c, { fetchMissing: true });
        return {};
      });
    } catch (err) {
      if (err instanceof PduRejected) return { error: err.message };
      // A peer that failed us (fetching missing events, state) is ordinary; anything else is a
      // bug or a fault of ours, never stored as a rejection: logged as the error it is.
      const peerFailure = err instanceof PeerUnreachableError || err instanceof PeerRequestError || err instanceof MatrixError;
      if (peerFailure) this.hs.log.warn({ origin, err }, 'failed to process a PDU');
      else this.hs.log.error({ origin, err }, 'failed to process a PDU');
      return { error: `Failed to process PDU: ${(err as Error).message}` };
    }
  }

  private onEdu(origin: string, edu: unknown): void {
    if (!isJsonObject(edu) || typeof edu.edu_type !== 'string' || !isJsonObject(edu.content)) return;
    const handler = this.eduHandlers.get(edu.edu_type);
    if (!handler) {
      this.hs.log.debug({ origin, eduType: edu.edu_type }, 'ignoring unknown EDU type');
      return;
    }
    try {
      handler(origin, edu.content);
    } catch (err) {
      this.hs.log.warn({ origin, eduType: edu.edu_type, err }, 'EDU handler failed');
    }
  }
}
