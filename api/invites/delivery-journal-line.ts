/**
 * One line of the delivery journal (delivery-journal.ts): what a transport appends the moment
 * the SMTP server accepts a message. Apart from the journal's replay so that the SMTP thread
 * (smtp-thread.ts), which appends the lines, loads neither the database schema nor its driver.
 */
import { appendFileSync } from 'node:fs';
import { z } from 'zod';

export const journalEntrySchema = z.object({ id: z.uuid(), messageId: z.string(), sentAt: z.iso.datetime() });
export type JournalEntry = z.infer<typeof journalEntrySchema>;

/**
 * Appends one acceptance to the journal file. Synchronous on purpose: nothing may run between
 * the acceptance and this line. Called by the transports (SendOptions.journal in mail-transport.ts).
 */
export function recordAcceptance(file: string, entry: JournalEntry): void {
  appendFileSync(file, JSON.stringify(entry) + '\n');
}
