/**
 * The one per-room write queue every writer goes through (local sends, createRoom, joins,
 * invites, inbound federation, backfill): a room's writes happen one after another, in the
 * order they were asked for, while different rooms proceed independently.
 *
 * Two kinds of work:
 * - `run(roomId, fn)`: an exclusive async section (federation fetching missing events or state
 *   before it persists). It starts once every earlier write of the room is committed. It
 *   persists synchronously (EventPersister.persistRemoteEvent) and must never await a `write`
 *   of its own room: that write waits for the section to end.
 * - `write(roomId, job)`: a synchronous job (build, authorise, store one local event). Jobs are
 *   collected across the event loop and run together in ONE SQLite transaction (group commit),
 *   flushed on setImmediate (a full batch of `maxBatch` jobs starts the next one). Each job runs
 *   in its own savepoint, so a failing job rolls back alone; its promise settles only after the transaction
 *   holding it has committed, so nothing is acknowledged before it is durable.
 *   Consecutive jobs of one room share a batch; a job queued behind an exclusive section waits
 *   for it.
 *
 * Durability: a commit is in the WAL before any promise resolves; with `synchronous = NORMAL`
 * (storage/db.ts) it survives `kill -9` of the process, only an OS crash or power cut can lose
 * the last commits.
 */
/** Runs fn in a SQLite transaction; nested, in a savepoint (Storage.transaction). */
export type Transaction = <T>(fn: () => T) => T;

interface Job {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

class Batch {
  readonly jobs: Job[] = [];
  /** Settles (never rejects) once the batch has committed or rolled back. */
  readonly done: Promise<void>;
  settle!: () => void;
  constructor() {
    this.done = new Promise<void>((r) => (this.settle = r));
  }
}

/** Jobs of one room waiting for (or sharing) a batch. */
interface Segment {
  jobs: Job[];
  batch: Batch | null;
}

interface RoomQueue {
  /** Settles when every write queued so far in the room is done; never rejects. */
  tail: Promise<unknown>;
  /** The room's last segment of jobs, while more jobs may still join it. */
  open: Segment | null;
}

export const MAX_BATCH = 256;

export class RoomLocks {
  private readonly rooms = new Map<string, RoomQueue>();
  private current: Batch | null = null;
  /** Commits and the jobs they held since start (jobs / commits = the mean batch size). */
  readonly stats = { commits: 0, jobs: 0 };

  constructor(private readonly transaction: Transaction, private readonly maxBatch = MAX_BATCH) {}

  /** An exclusive section: waits for the room's earlier writes; later ones wait for it. */
  run<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    const q = this.rooms.get(roomId);
    const next = (q ? q.tail : Promise.resolve()).then(fn, fn);
    this.setTail(roomId, next.catch(() => undefined), null);
    return next;
  }

  /** A synchronous job run in the next group commit, after the room's earlier writes. */
  write<T>(roomId: string, run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = { run, resolve: resolve as (v: unknown) => void, reject };
      const q = this.rooms.get(roomId);
      const seg = q?.open;
      if (q && seg && (seg.batch === null || (seg.batch === this.current && seg.batch.jobs.length < this.maxBatch))) {
        seg.jobs.push(job);
        if (seg.batch) seg.batch.jobs.push(job);
        return;
      }
      const fresh: Segment = { jobs: [job], batch: null };
      const join = (): Promise<void> => {
        const batch = this.openBatch();
        fresh.batch = batch;
        batch.jobs.push(...fresh.jobs);
        return batch.done;
      };
      this.setTail(roomId, q ? q.tail.then(join) : join(), fresh);
    });
  }

  /** How many rooms have writes queued or running (for tests and metrics). */
  get busyRooms(): number {
    return this.rooms.size;
  }

  private setTail(roomId: string, tail: Promise<unknown>, open: Segment | null): void {
    this.rooms.set(roomId, { tail, open });
    void tail.then(() => {
      if (this.rooms.get(roomId)?.tail === tail) this.rooms.delete(roomId);
    });
  }

  private openBatch(): Batch {
    if (this.current && this.current.jobs.length < this.maxBatch) return this.current;
    const batch = new Batch();
    this.current = batch;
    setImmediate(() => this.flush(batch));
    return batch;
  }

  private flush(batch: Batch): void {
    if (this.current === batch) this.current = null;
    this.stats.commits++;
    this.stats.jobs += batch.jobs.length;
    const results: { ok: boolean; value: unknown }[] = [];
    if (batch.jobs.length === 1) {
      // Alone in its commit: the transaction is the job's own, no savepoint needed.
      try {
        results.push({ ok: true, value: this.transaction(batch.jobs[0]!.run) });
      } catch (e) {
        results.push({ ok: false, value: e });
      }
    } else try {
      this.transaction(() => {
        for (const job of batch.jobs) {
          try {
            results.push({ ok: true, value: this.transaction(job.run) });
          } catch (e) {
            results.push({ ok: false, value: e });
          }
        }
      });
    } catch (e) {
      // The commit itself failed: nothing of the batch is stored.
      for (let i = 0; i < batch.jobs.length; i++) results[i] = { ok: false, value: e };
    }
    batch.jobs.forEach((job, i) => (results[i]!.ok ? job.resolve(results[i]!.value) : job.reject(results[i]!.value)));
    batch.settle();
  }
}
