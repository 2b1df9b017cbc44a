/**
 * Test support: a dispatcher in a process of its own, for the crash test to SIGKILL.
 *   node --import tsx dispatcher-child.test-support.ts run     dispatch until killed
 *   node --import tsx dispatcher-child.test-support.ts drain   dispatch until no row is queued or
 *                                                              leased, then close and exit 0
 * Configured by the environment like the app (DATABASE_URL, SMTP_URL, INVITE_*), plus
 * CLOCK_OFFSET_MS: the test app's clock is pinned, so the children run "now" at the same offset
 * from the wall clock, letting leases expire in real time.
 */
import { inArray } from 'drizzle-orm';
import { openDatabase } from '../../db/client.ts';
import { invites } from '../../db/schema.ts';
import { parseConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { DeliveryJournal } from './delivery-journal.ts';
import { InviteDispatcher, dispatcherOptionsFrom } from './dispatcher.ts';
import { createThreadedSmtpTransport } from './threaded-smtp-transport.ts';

const mode = process.argv[2];
const parsed = parseConfig(process.env);
if (!parsed.ok || !parsed.config.SMTP_URL) {
  process.stderr.write(`bad configuration: ${parsed.ok ? 'SMTP_URL missing' : parsed.problems.join('; ')}\n`);
  process.exit(2);
}
const config = parsed.config;
const offset = Number(process.env['CLOCK_OFFSET_MS'] ?? 0);
const database = await openDatabase(config, { migrate: false });
const ctx = { config, db: database.db, logger: createLogger(config.LOG_LEVEL), now: () => new Date(Date.now() + offset) };
// As in production (server/mail-transport.ts): SMTP and the journal's lines on a thread of their own.
const transport = createThreadedSmtpTransport({
  url: config.SMTP_URL!,
  maxConnections: config.SMTP_MAX_CONNECTIONS,
  ratePerSecond: config.SMTP_RATE_PER_SECOND,
});
// The environment's, not the config's: the config defaults it under DATA_DIR, and the crash test
// runs one child without a journal on purpose.
const journalFile = process.env['INVITE_JOURNAL_FILE'];
const journal = journalFile ? new DeliveryJournal(journalFile) : undefined;
const dispatcher = new InviteDispatcher({ ctx, transport, ...(journal ? { journal } : {}), options: dispatcherOptionsFrom(config) });

if (mode === 'run') {
  dispatcher.start();
  // The measured 250→commit window, for the test to report (the process dies without a goodbye).
  setInterval(() => process.stdout.write(`stats ${JSON.stringify(dispatcher.stats())}\n`), 100);
} else if (mode === 'drain') {
  for (;;) {
    await dispatcher.drain();
    const open = await database.db
      .select({ id: invites.id })
      .from(invites)
      .where(inArray(invites.status, ['queued', 'sending']))
      .limit(1);
    if (open.length === 0) break;
    // Rows leased by the killed process become due when their lease runs out.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await dispatcher.close();
  process.stdout.write(`stats ${JSON.stringify(dispatcher.stats())}\n`);
  await transport.close();
  await database.close();
  process.exit(0);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
