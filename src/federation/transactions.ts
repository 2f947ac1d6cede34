// PUT /send/{txnId} (federation-v1.md §2): dedupe by (origin, txnId), each PDU through the
// receiving pipeline in order, EDUs dispatched by type, the answer stored and replayed on retry.
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import { topLevelArrayElements } from '../crypto/index.js';
import { isJsonObject, type JsonObject } from '../events/index.js';
import { MatrixError, badJson } from '../errors.js';
import type { InboundPdus } from './inbound.js';
import { PeerRequestError, PeerUnreachableError } from './client.js';
import type { Keyring } from './keyring.js';
import { checkPdu, pduShapeError, PduRejected, type CheckedPdu } from './pdu-check.js';

export type EduHandler = (origin: string, content: JsonObject) => void;

export class TransactionReceiver {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number,
    private readonly log: Logger,
    private readonly inbound: InboundPdus,
    private readonly keyring: Keyring,
    /** By EDU type (the EduReceiver's). */
    private readonly eduHandlers: ReadonlyMap<string, EduHandler>,
  ) {}

  /** Returns the response JSON text. Throws MatrixError for a transaction that cannot be read at all. */
  async receive(origin: string, txnId: string, body: unknown, rawBody: string): Promise<string> {
    const stored = this.storage.federation.inboundTxn(origin, txnId);
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
    const ids = pdus.map((p) => (p as JsonObject).event_id as string);
    for (const id of ids) results[id] = {};
    // Shape, signatures and hashes of every PDU first, outside any room's critical section; then
    // each run of one room's PDUs in order, under that room's lock taken once. The checks run one
    // after another: a peer's transaction cannot fan out into dozens of concurrent key fetches.
    const checked: (CheckedPdu | Error)[] = [];
    for (let i = 0; i < pdus.length; i++) checked.push(await this.check(texts[i]!, pdus[i]));
    let i = 0;
    while (i < pdus.length) {
      const first = checked[i]!;
      if (first instanceof Error) {
        results[ids[i++]!] = this.failure(origin, first);
        continue;
      }
      const roomId = first.pdu.room_id;
      const run: [string, CheckedPdu][] = [];
      for (let c = checked[i]; c !== undefined && !(c instanceof Error) && c.pdu.room_id === roomId; c = checked[++i]) run.push([ids[i]!, c]);
      await this.inbound.locks.run(roomId, async () => {
        // Checked under the lock: a join of ours in progress holds it until the room is ours too.
        const inRoom = this.storage.events.forwardExtremities(roomId).length > 0;
        if (!inRoom) {
          for (const [id] of run) results[id] = { error: `Not in room ${roomId}` };
          return;
        }
        // Runs of PDUs that follow what we hold are stored in one SQLite transaction; a PDU that
        // needs its missing prev events (or state) fetched goes alone through the full pipeline.
        let k = 0;
        while (k < run.length) {
          const done = this.inbound.persistReady(run.slice(k).map(([, c]) => c));
          for (const r of done) {
            const id = run[k++]![0];
            results[id] = r instanceof Error ? this.failure(origin, r) : {};
          }
          if (k < run.length) {
            const [id, c] = run[k++]!;
            results[id] = await this.onPdu(origin, c);
          }
        }
      });
    }
    const edus = Array.isArray(body.edus) ? body.edus : [];
    for (const edu of edus) this.onEdu(origin, edu);
    const response = JSON.stringify({ pdus: results });
    this.storage.federation.recordInboundTxn(origin, txnId, response, this.clock());
    return response;
  }

  /** The PDU checked, or why it failed its checks. */
  private async check(raw: string, parsed: unknown): Promise<CheckedPdu | Error> {
    try {
      return await checkPdu(raw, parsed, this.keyring, this.clock());
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /** Runs under the room's lock. */
  private async onPdu(origin: string, c: CheckedPdu): Promise<JsonObject> {
    try {
      await this.inbound.process(origin, c, { fetchMissing: true });
      return {};
    } catch (err) {
      return this.failure(origin, err);
    }
  }

  private failure(origin: string, err: unknown): JsonObject {
    if (err instanceof PduRejected) return { error: err.message };
    // A peer that failed us (fetching missing events, state) is ordinary; anything else is a
    // bug or a fault of ours, never stored as a rejection: logged as the error it is.
    const peerFailure = err instanceof PeerUnreachableError || err instanceof PeerRequestError || err instanceof MatrixError;
    if (peerFailure) this.log.warn({ origin, err }, 'failed to process a PDU');
    else this.log.error({ origin, err }, 'failed to process a PDU');
    return { error: `Failed to process PDU: ${(err as Error).message}` };
  }

  private onEdu(origin: string, edu: unknown): void {
    if (!isJsonObject(edu) || typeof edu.edu_type !== 'string' || !isJsonObject(edu.content)) return;
    const handler = this.eduHandlers.get(edu.edu_type);
    if (!handler) {
      this.log.debug({ origin, eduType: edu.edu_type }, 'ignoring unknown EDU type');
      return;
    }
    try {
      handler(origin, edu.content);
    } catch (err) {
      this.log.warn({ origin, eduType: edu.edu_type, err }, 'EDU handler failed');
    }
  }
}
