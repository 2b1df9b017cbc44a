/**
 * `npm start`: parse the configuration, open (and migrate) the database, seed the administrative
 * tree if it is missing, make sure an admin exists, serve http://localhost:3000, and run the
 * invitation dispatcher (SMTP when SMTP_URL is set, else the local mail folder). Either way the
 * process is also a media node, registered in the database (api/nodes).
 *
 * `SERVER_ROLE=media`: a media node only — signaling and mediasoup workers against the shared
 * PostgreSQL, registered and heartbeating, with no pages, API or dispatcher (runMediaNode).
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { count, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { openDatabase, type DatabaseHandle } from '../db/client.ts';
import { adminUnits } from '../db/schema.ts';
import { seedAdministrativeTree } from '../db/seed.ts';
import { createApp } from './app.ts';
import { closeConsolesOfEndedSignIns, createServices, disconnectRemovedSites, disconnectRotatedSites } from './services.ts';
import { DeliveryJournal } from '../api/invites/delivery-journal.ts';
import { InviteDispatcher, dispatcherOptionsFrom } from '../api/invites/dispatcher.ts';
import { startConferenceService } from '../api/conference/service.ts';
import { hearOtherProcessesAttendance } from '../api/attendance/cross-process.ts';
import { scheduleAttendanceRetention } from '../api/attendance/retention.ts';
import { ensureFirstAdmin } from '../api/auth/users.ts';
import { parseConfig, type AppConfig } from '../api/config.ts';
import type { AppContext } from '../api/context.ts';
import { createLogger } from '../api/logger.ts';
import { requestPath } from '../sfu/signaling.ts';

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
  if (config.SERVER_ROLE === 'media') return runMediaNode(ctx, database);

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
  // A multi-node meeting's media nodes store their own sites' events: the live boards here hear them.
  const stopHearing = await hearOtherProcessesAttendance(database, logger);
  const server = createGuardedServer(httpServerOptions(config), getRequestListener(app.fetch, { hostname: config.HOST }));
  server.listen(config.PORT, config.HOST, () => {
    const info = server.address() as AddressInfo;
    logger.info({ url: config.PUBLIC_URL, address: info.address, port: info.port, mail: config.SMTP_URL ? 'smtp' : 'mail-folder' }, 'hoinghi is listening');
    dispatcher.start();
  });
  // Sockets that go quiet mid-response (a reader that stopped) are closed too.
  server.setTimeout(config.HTTP_IDLE_TIMEOUT_MS);
  const conference = await startConferenceService(ctx, server);
  disconnectRemovedSites(services.meetings, conference.sfu);
  closeConsolesOfEndedSignIns(services.accounts, conference.consoles, conference.sfu);
  disconnectRotatedSites(services.invites, conference.sfu);
  // Placement counts this node's sites live; the live pages' CSP names the nodes' origins from the first request on.
  services.nodes.attachLocal(config.sfu.node.id, () => conference.sfu.signaling.siteCount());
  await services.nodes.refresh();
  logger.info({ workers: config.sfu.numWorkers, webRtcPortBase: config.sfu.webRtcPortBase, nodeId: config.sfu.node.id }, 'conference service ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // The conference first: open attendance intervals close with cause "shutdown" and are stored.
    await conference.close();
    await stopHearing().catch(() => undefined);
    services.attendance.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
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

/**
 * A media node: the HTTP server answers /healthz and the signaling WebSocket, nothing else; the
 * pages, the API and the dispatcher run elsewhere against the same database. Its sockets accept
 * the pages' origin (PUBLIC_URL). SIGKILL leaves it to the others to declare it dead.
 */
async function runMediaNode(ctx: AppContext, database: DatabaseHandle): Promise<void> {
  const { config, logger } = ctx;
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true, role: 'media', nodeId: config.sfu.node.id }));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'This is a media node: pages are served elsewhere' } }, 404));
  const server = createGuardedServer(httpServerOptions(config), getRequestListener(app.fetch, { hostname: config.HOST }));
  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  server.setTimeout(config.HTTP_IDLE_TIMEOUT_MS);
  const conference = await startConferenceService(ctx, server);
  logger.info(
    { role: 'media', nodeId: config.sfu.node.id, signalingUrl: config.sfu.node.signalingUrl, workers: config.sfu.numWorkers },
    'conference service ready',
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await conference.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await database.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * Deadlines for every HTTP socket, so no client can hold one open by sending slowly. Node checks
 * them only every connectionsCheckingInterval (30 s by default), so that follows the shortest.
 */
function httpServerOptions(config: AppConfig): ServerOptions {
  return {
    headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.HTTP_HEADERS_TIMEOUT_MS / 4))),
  };
}

/**
 * The HTTP server, refusing request targets no browser sends before they reach Hono: `//…`
 * (which URL parsers read as a host), `*`, and anything unparseable get 400. Absolute-form
 * (`http://host/path`) stays allowed, as HTTP/1.1 requires of servers.
 */
function createGuardedServer(options: ServerOptions, listener: RequestListener): Server {
  return createServer(options, (req: IncomingMessage, res: ServerResponse) => {
    if (requestPath(req.url) || isAbsoluteTarget(req.url)) return listener(req, res);
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end('Yêu cầu không hợp lệ: địa chỉ trang sai. (Bad request target.)\n');
  });
}

function isAbsoluteTarget(target: string | undefined): boolean {
  if (!target || !/^https?:\/\//i.test(target)) return false;
  try {
    new URL(target);
    return true;
  } catch {
    return false;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`hoinghi: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
