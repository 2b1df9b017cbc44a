/**
 * `npm run bench:invites`: how fast invitations are rendered, queued and delivered.
 *   1. ICS renders per second (one thread).
 *   2. Time to queue a national meeting's invitations (the whole tree seeded: every hall and
 *      commune) inside the scheduling transaction, on PGlite and on PostgreSQL.
 *   3. Time to deliver them all to a local smtp-server, next to the floor: the same SMTP server
 *      and transport fed pre-rendered messages, measured alone just before and just after. The
 *      transport is production's (nodemailer on its own thread, threaded-smtp-transport.ts); the
 *      server runs in a process of its own, as a relay does, so neither side's cost lands on the
 *      other's thread. Three national meetings per database (BENCH_INVITES_ROUNDS), each between
 *      its own two floors, and the median ratio: the floor itself moves by a third from one
 *      minute to the next on this shared machine.
 * Prints figures only; nothing here asserts on time.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { count, eq } from 'drizzle-orm';
import { createUser } from '../../api/auth/users.ts';
import type { AppContext } from '../../api/context.ts';
import { DeliveryJournal } from '../../api/invites/delivery-journal.ts';
import { dispatcherOptionsFrom, InviteDispatcher } from '../../api/invites/dispatcher.ts';
import { composeInviteEmail } from '../../api/invites/email.ts';
import { renderInviteCalendar } from '../../api/invites/ical.ts';
import { inviteFor, SITES } from '../../api/invites/invite-fixtures.test-support.ts';
import { createThreadedSmtpTransport } from '../../api/invites/threaded-smtp-transport.ts';
import { InviteOutbox } from '../../api/invites/outbox.ts';
import { createLogger } from '../../api/logger.ts';
import { MeetingService } from '../../api/meetings/service.ts';
import { openDatabase, type DatabaseHandle } from '../../db/client.ts';
import { invites, sites } from '../../db/schema.ts';
import { NATIONAL_UNIT_CODE, seedAdministrativeTree } from '../../db/seed.ts';
import { testConfig } from '../support/app.ts';
import { startPostgresServer } from '../support/postgres-server.ts';
import { startSmtpServerProcess } from '../support/smtp-server-process.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const SMTP_CONNECTIONS = 10;
const SMTP_RATE = 1000; // the transport's ceiling; the local server is the limit, not the limiter
const FLOOR_MESSAGES = 3355;
/** National meetings delivered per database, each between two floors; BENCH_INVITES_ROUNDS changes it. */
const ROUNDS = Number(process.env['BENCH_INVITES_ROUNDS'] ?? 3);

function benchRender(): void {
  const n = 3000;
  const inputs = Array.from({ length: n }, (_, i) => {
    const site = SITES[i % SITES.length]!;
    return inviteFor({ ...site, email: `xa-${i}@diemcau.hoinghi.local` }, { sequence: i % 5 });
  });
  for (const input of inputs.slice(0, 200)) renderInviteCalendar(input); // warm-up
  let started = performance.now();
  for (const input of inputs) renderInviteCalendar(input);
  const icsPerSecond = n / ((performance.now() - started) / 1000);
  started = performance.now();
  for (const input of inputs) composeInviteEmail(input);
  const mailsPerSecond = n / ((performance.now() - started) / 1000);
  out(`render: ${icsPerSecond.toFixed(0)} ICS/s; ${mailsPerSecond.toFixed(0)} complete invite e-mails/s (ICS + text + HTML), one thread`);
}

async function smtpFloor(messages: number): Promise<number> {
  const server = await startSmtpServerProcess();
  const transport = createThreadedSmtpTransport({ url: server.url, maxConnections: SMTP_CONNECTIONS, ratePerSecond: SMTP_RATE });
  const prepared = Array.from(
    { length: messages },
    (_, i) => composeInviteEmail(inviteFor({ ...SITES[0]!, email: `xa-${i}@diemcau.hoinghi.local`, otherContacts: [] })).message,
  );
  const started = performance.now();
  const queue = [...prepared];
  await Promise.all(
    Array.from({ length: SMTP_CONNECTIONS }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) await transport.send(m);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await transport.close();
  await server.close();
  return messages / seconds;
}

async function benchDriver(label: string, database: DatabaseHandle): Promise<void> {
  let started = performance.now();
  await seedAdministrativeTree(database.db);
  out(`${label}: seeded the full tree in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const config = testConfig({ SMTP_MAX_CONNECTIONS: String(SMTP_CONNECTIONS), SMTP_RATE_PER_SECOND: String(SMTP_RATE), INVITE_BATCH_SIZE: '200' });
  const ctx: AppContext = { config, db: database.db, logger: createLogger('silent'), now: () => new Date('2026-12-01T08:00:00+07:00') };
  const user = await createUser(
    database.db,
    { email: `bench-${label}@hoinghi.test`, displayName: 'Bench', role: 'secretariat', password: 'correct horse battery' },
    null,
  );

  // Time the outbox listener alone: a listener before and after it bracket its work.
  const meetings = new MeetingService(ctx);
  let enqueueStarted = 0;
  let enqueueEnded = 0;
  meetings.onChange(() => void (enqueueStarted = performance.now()));
  const outbox = new InviteOutbox(ctx);
  meetings.onChange((tx, change) => outbox.enqueueForChange(tx, change));
  meetings.onChange(() => void (enqueueEnded = performance.now()));

  const [hall] = await database.db.select({ id: sites.id }).from(sites).where(eq(sites.unitCode, NATIONAL_UNIT_CODE));
  const server = await startSmtpServerProcess();
  const transport = createThreadedSmtpTransport({ url: server.url, maxConnections: SMTP_CONNECTIONS, ratePerSecond: SMTP_RATE });
  // As in production (server/main.ts): acceptances go to the journal before their bulk write.
  const journal = new DeliveryJournal(path.join(await mkdtemp(path.join(os.tmpdir(), 'hoinghi-bench-journal-')), 'invite-journal.ndjson'));
  const dispatcher = new InviteDispatcher({
    ctx: { ...ctx, config: { ...config, SMTP_URL: server.url } },
    transport,
    journal,
    outbox,
    options: { ...dispatcherOptionsFrom({ ...config, SMTP_URL: server.url }), reminderHoursBefore: 0 },
  });
  const ratios: number[] = [];
  let deliveredBefore = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    // A national meeting a day apart each round: the outbox keeps the earlier rounds' rows, as it would.
    const day = (hours: number) => new Date(Date.parse('2026-12-03T08:00:00+07:00') + (round - 1) * 86_400_000 + hours * 3_600_000);
    started = performance.now();
    const meeting = await meetings.create(
      {
        title: 'Hội nghị trực tuyến toàn quốc',
        hostSiteId: hall!.id,
        startsAt: day(0),
        endsAt: day(3.5),
        unitCodes: [NATIONAL_UNIT_CODE],
        siteIds: [],
        allowConflicts: true,
      },
      { id: user.id, email: user.email, displayName: user.displayName, role: 'secretariat', unitCode: 'VN' },
    );
    const scheduleMs = performance.now() - started;
    const [queued] = await database.db.select({ n: count() }).from(invites).where(eq(invites.meetingId, meeting.id));
    out(
      `${label} #${round}: national meeting, ${meeting.participantCount} sites: ${queued!.n} invitations queued in ${(enqueueEnded - enqueueStarted).toFixed(0)} ms (whole scheduling transaction ${scheduleMs.toFixed(0)} ms)`,
    );

    // The floor just before and just after the delivery: the machine is shared, and a floor taken
    // minutes earlier under another load would make the ratio measure the load instead.
    const floorBefore = await smtpFloor(FLOOR_MESSAGES);
    const statsBefore = dispatcher.stats();
    started = performance.now();
    await dispatcher.drain();
    const seconds = (performance.now() - started) / 1000;
    const floorAfter = await smtpFloor(FLOOR_MESSAGES);
    const floor = (floorBefore + floorAfter) / 2;
    const received = await server.count();
    const delivered = received - deliveredBefore;
    deliveredBefore = received;
    const rate = delivered / seconds;
    ratios.push(rate / floor);
    const stats = dispatcher.stats();
    const window = stats.recordWindowMs;
    const windowCount = window.count - statsBefore.recordWindowMs.count;
    out(
      `${label} #${round}: delivered ${delivered} in ${seconds.toFixed(1)} s = ${rate.toFixed(0)} msg/s; ` +
        `floor (SMTP server alone, before/after) ${floorBefore.toFixed(0)}/${floorAfter.toFixed(0)} msg/s; ratio ${(rate / floor).toFixed(2)}; ` +
        `250→commit mean ${((window.total - statsBefore.recordWindowMs.total) / Math.max(1, windowCount)).toFixed(2)} ms ` +
        `(journaled first; ${stats.recordWrites.outcomes - statsBefore.recordWrites.outcomes} outcomes in ${stats.recordWrites.statements - statsBefore.recordWrites.statements} writes); ` +
        `load average ${os.loadavg()[0]!.toFixed(2)}`,
    );
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  out(
    `${label}: ratio over ${ROUNDS} rounds: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)}, lowest ${sorted[0]!.toFixed(2)}, highest ${sorted.at(-1)!.toFixed(2)} (aim ≥ 0.8)`,
  );
  await dispatcher.close();
  await transport.close();
  await server.close();
}

async function main(): Promise<void> {
  benchRender();
  const floor = await smtpFloor(FLOOR_MESSAGES);
  out(`smtp floor: local smtp-server accepts ${floor.toFixed(0)} msg/s over ${SMTP_CONNECTIONS} connections (pre-rendered messages, no database)`);

  const pglite = await openDatabase({ DATA_DIR: '/nonexistent', DATABASE_POOL_SIZE: 1 }, { inMemory: true });
  try {
    await benchDriver('pglite', pglite);
  } finally {
    await pglite.close();
  }

  const pg = await startPostgresServer();
  try {
    const database = await openDatabase({ DATABASE_URL: pg.url, DATA_DIR: '/nonexistent', DATABASE_POOL_SIZE: 12 });
    try {
      await benchDriver('postgres', database);
    } finally {
      await database.close();
    }
  } finally {
    pg.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
