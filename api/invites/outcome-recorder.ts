/**
 * Group commit of the dispatcher's outcomes: each outcome is queued here and written with the
 * others queued meanwhile in one statement (dispatch-loop.ts releaseLeases), instead of one
 * UPDATE and one transaction per message. One statement per message was most of the database's
 * share of sending a national meeting's 3,356 invitations, and on PGlite that share runs on the
 * same thread as the SMTP conversations.
 *
 * When a write happens is the caller's choice, because it decides the duplicate window:
 * - lingerMs 0: a write starts as soon as an outcome arrives and none is under way; what arrives
 *   during a write goes in the next one. The dispatcher uses this without a delivery journal,
 *   and waits for each acceptance's write before the connection takes its next message, so at
 *   most one unrecorded acceptance per connection can be lost to a crash, as before.
 * - lingerMs > 0: outcomes wait up to lingerMs (or until maxRows are queued) to share a write.
 *   Only safe when each acceptance is in the delivery journal before it is queued here: the
 *   journal, not this write, is then what a restarted dispatcher recovers it from.
 */
import type { Database } from '../../db/client.ts';
import { releaseLeases, type RowOutcome } from './dispatch-loop.ts';
import type { InviteRow } from './outbox.ts';

interface Queued {
  row: InviteRow;
  outcome: RowOutcome;
  resolve: (written: boolean) => void;
  reject: (error: unknown) => void;
}

export class OutcomeRecorder {
  private queued: Queued[] = [];
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** How many of the queued outcomes a write was asked for (the oldest ones). */
  private due = 0;
  /** Statements written and outcomes they carried, for the dispatcher's stats. */
  readonly written = { statements: 0, outcomes: 0 };

  constructor(
    private readonly db: Database,
    private readonly options: { lingerMs: number; maxRows: number },
  ) {}

  /**
   * Queues a row's outcome; resolves once it is committed, true if it was written, false if the
   * row's lease was no longer ours (nothing written). Rejects when the write failed.
   */
  record(row: InviteRow, outcome: RowOutcome): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queued.push({ row, outcome, resolve, reject });
      if (this.options.lingerMs <= 0 || this.queued.length >= this.options.maxRows) this.write();
      else this.timer ??= setTimeout(() => this.write(), this.options.lingerMs);
    });
  }

  /** Writes what is queued now and waits for every write under way. */
  async flush(): Promise<void> {
    this.write();
    while (this.writing) await this.writing;
  }

  /** Writes what is queued now; what is queued later waits for its own turn. */
  private write(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.due = this.queued.length;
    // A write under way goes on with what is due when it ends.
    this.writing ??= this.writeQueued().finally(() => {
      this.writing = null;
    });
  }

  private async writeQueued(): Promise<void> {
    const { lingerMs, maxRows } = this.options;
    // Outcomes queued during a write and not yet due stay for their timer (record set it), so a
    // steady stream is written every lingerMs instead of one statement per outcome.
    while (this.queued.length > 0 && (this.due > 0 || this.queued.length >= maxRows || lingerMs <= 0)) {
      const batch = this.queued.splice(0, maxRows);
      this.due = Math.max(0, this.due - batch.length);
      try {
        const written = await releaseLeases(this.db, batch);
        this.written.statements++;
        this.written.outcomes += batch.length;
        for (const entry of batch) entry.resolve(written.has(entry.row.id));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
  }
}
