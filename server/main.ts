/**
 * `npm start`: parse the configuration, open (and migrate) the database, seed the administrative
 * tree if it is missing, make sure an admin exists, serve http://localhost:3000, and run the
 * invitation dispatcher (SMTP when SMTP_URL is set, else the local outbox folder).
 */
import type { Server } from 'node:http';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { count, eq } from 'drizzle-orm';
import { openDatabase } from '../db/client.ts';
import { adminUnits } from '../db/schema.ts';
import { seedAdministrativeTree } from '../db/seed.ts';
import { createApp } from './app.ts';
import { closeConsolesOfEndedSignIns, createServices, disconnectRemovedSites } from './services.ts';
import { DeliveryJournal } from '../api/invites/delivery-journal.ts';
import { InviteDispatcher, dispatcherOptionsFrom } from '../api/invites/dispatcher.ts';
import { startConferenceService } from '../api/conference/service.ts';
import { scheduleAttendanceRetention } from '../api/attendance/retention.ts';
import { ensureFirstAdmin } from '../api/auth/users.ts';
import { parseConfig } from '../api/config.ts';
import type { AppContext } from '../api/context.ts';
import { createLogger } from '../api/logger.ts';

const COMMUNES_IN_VIETNAM = 3321;

async function main(): Promise<void> {
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    process.stderr.write(`hoinghi: invalid configuration:\n${parsed.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(2);
  }
  const config = parsed.config;
  const logger = createLogger(config.LOG_LEVEL);
  const database = await openDatabase(config);
  logger.info({ driver: database.driver }, 'database open and migrated');

  const ctx: AppContext = { config, db: database.db, logger, now: () => new Date() };

  if (config.SEED_ON_START) {
    const [row] = await database.db.select({ n: count() }).from(adminUnits).where(eq(adminUnits.level, 'commune'));
    if ((row?.n ?? 0) < COMMUNES_IN_VIETNAM) {
      const result = await seedAdministrativeTree(database.db);
      logger.info(result, 'administrative tree seeded');
    }
  }

  const admin = await ensureFirstAdmin(ctx);
  if (admin?.generatedPassword) {
    // Printed once, on purpose outside the structured log: it must not end up in log storage.
    process.stdout.write(`\n  First admin account: ${admin.email}\n  Password (shown only now): ${admin.generatedPassword}\n\n`);
  }

  const services = createServices(ctx);
  const app = createApp(ctx, services);
  // Invitations and password-reset links leave by the same transport.
  const transport = services.mail;
  const journal = new DeliveryJournal(config.INVITE_JOURNAL_FILE);
  const dispatcher = new InviteDispatcher({ ctx, transport, journal, outbox: services.invites, options: dispatcherOptionsFrom(config) });
  const retention = scheduleAttendanceRetention(ctx);
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    logger.info({ url: config.PUBLIC_URL, address: info.address, port: info.port, mail: config.SMTP_URL ? 'smtp' : 'local-outbox' }, 'hoinghi is listening');
    dispatcher.start();
  });
  const conference = await startConferenceService(ctx, server as Server);
  disconnectRemovedSites(services.meetings, conference.sfu);
  closeConsolesOfEndedSignIns(services.accounts, conference.consoles, conference.sfu);
  logger.info({ workers: config.sfu.numWorkers, webRtcPortBase: config.sfu.webRtcPortBase }, 'conference service ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // The conference first: open attendance intervals close with cause "shutdown" and are stored.
    await conference.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as Server).closeAllConnections();
    });
    // In-flight sends finish and are recorded before the pool and the database go away.
    await dispatcher.close();
    await transport.close();
    await retention.close();
    await database.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`hoinghi: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
