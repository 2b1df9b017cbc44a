/**
 * A local, append-only record of "the SMTP server accepted invite X", written synchronously by
 * the mail transport the moment it hears the acceptance, on the thread that hears it (the SMTP
 * thread, see threaded-smtp-transport.ts) — before the database is told, and whatever the main
 * thread is busy with. It shrinks the window
 * in which a *process* crash turns into a duplicate: from the 'sent' UPDATE's round trip
 * (milliseconds, tens on a loaded machine) to the few microseconds between the transport's
 * callback and one appendFileSync. The kernel keeps what was appended when the process dies, so a
 * restarted dispatcher replays the journal — marking those rows sent — before it claims anything.
 * (A power cut can still lose the last lines: no fsync per message; that trade is deliberate.)
 *
 * One dispatcher per journal file: the journal is emptied after every batch, once each of its
 * acceptances has reached the database.
 */
import { mkdirSync, readFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { invites } from '../../db/schema.ts';
import { journalEntrySchema as entrySchema } from './delivery-journal-line.ts';

export class DeliveryJournal {
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  /** Called when every recorded acceptance is also in the database. */
  clear(): void {
    try {
      truncateSync(this.file, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /**
   * Marks the journal's rows sent where the database does not know yet (a crash after the
   * acceptance), then empties the journal. Returns how many rows it recovered. A torn last line
   * (the crash hit mid-append) is skipped: that message is re-sent, as it would have been anyway.
   */
  async replay(db: Executor): Promise<number> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    let recovered = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let parsed: ReturnType<typeof entrySchema.safeParse>;
      try {
        parsed = entrySchema.safeParse(JSON.parse(line));
      } catch {
        continue; // torn line, see above
      }
      if (!parsed.success) continue;
      const entry = parsed.data;
      const updated = await db
        .update(invites)
        .set({ status: 'sent', messageId: entry.messageId, sentAt: new Date(entry.sentAt), leaseUntil: null })
        .where(and(eq(invites.id, entry.id), eq(invites.status, 'sending')))
        .returning({ id: invites.id });
      recovered += updated.length;
    }
    this.clear();
    return recovered;
  }
}
