/**
 * `npm run bench:report`: how long the attendance report of a national meeting takes to build.
 *
 * The whole administrative tree is seeded; one meeting invites every site (the national hall
 * hosts, 3,355 participants) and ~20 events per site are stored (≈67k). On PGlite and on a
 * throwaway PostgreSQL server, each run times:
 *   baseline  the bare `select * from attendance_events where meeting_id = $1` (same driver)
 *   computed  the report from the events: load them, computeLedger, meetingReportJson +
 *             JSON.stringify (what every report cost before ledgers were stored)
 *   report    what GET …/attendance does now for an ended meeting: storedReportBody (one
 *             round trip; the stored report parts spliced into the body)
 *   csv       buildMeetingReport (the stored ledger) and its streamed CSV, read to the end
 *   late      after one late event deleted the stored ledger: the first report (recomputed
 *             and stored again)
 * The target is a report under 200 ms at p50. Figures are printed, never asserted.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import type { AttendanceEvent, LeaveCause } from '../../db/attendance-event.ts';
import { openDatabase, type DatabaseHandle } from '../../db/client.ts';
import { meetingParticipants, meetings, sites, users } from '../../db/schema.ts';
import { NATIONAL_UNIT_CODE, seedAdministrativeTree } from '../../db/seed.ts';
import { computeLedger } from '../../api/attendance/ledger.ts';
import { buildMeetingReport, meetingReportCsvStream, meetingReportJson, storedReportBody } from '../../api/attendance/report.ts';
import { loadMeetingAttendanceInput, recordAttendanceEvents } from '../../api/attendance/store.ts';
import { startPostgresServer } from '../support/postgres-server.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const ONLY = process.env.BENCH_DRIVER;
const WARMUP = 2;
const TARGET_MS = 200;
const START = new Date('2026-12-02T08:00:00+07:00');
const END = new Date('2026-12-02T10:00:00+07:00');
const NOW = new Date('2026-12-02T12:00:00+07:00');
const MIN = 60_000;

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A deterministic pseudo-random sequence, so every run stores the same events. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** ~20 events per site: most on time, some late, some dropping once, some leaving early, ~4% absent. */
function eventsFor(meetingId: string, siteIds: string[]): AttendanceEvent[] {
  const random = lcg(42);
  const events: AttendanceEvent[] = [];
  for (const [n, siteId] of siteIds.entries()) {
    const r = random();
    if (r < 0.04) continue;
    const base = { meetingId, siteId };
    const join = new Date(START.getTime() + (r < 0.15 ? 12 : -10 + random() * 9) * MIN);
    const drop = r > 0.85 ? new Date(START.getTime() + 50 * MIN) : null;
    const leaveAt = r > 0.8 && r <= 0.85 ? new Date(START.getTime() + 90 * MIN) : END;
    const leaveCause: LeaveCause = leaveAt === END ? 'meeting-ended' : 'left';
    const connections: Array<[string, Date, Date, LeaveCause]> = drop
      ? [
          [`c${n}a`, join, drop, 'network'],
          [`c${n}b`, new Date(drop.getTime() + 2 * MIN), leaveAt, leaveCause],
        ]
      : [[`c${n}a`, join, leaveAt, leaveCause]];
    const samplesPerConnection = Math.floor(18 / connections.length);
    for (const [connectionId, from, to, cause] of connections) {
      events.push({ ...base, eventId: `j:${connectionId}`, kind: 'join', at: from, connectionId });
      const step = (to.getTime() - from.getTime()) / (samplesPerConnection + 1);
      for (let i = 1; i <= samplesPerConnection; i++) {
        const bad = n % 50 === 0;
        events.push({
          ...base,
          eventId: `q:${connectionId}:${i}`,
          kind: 'quality',
          at: new Date(from.getTime() + i * step),
          connectionId,
          bitrateKbps: Math.round(800 + random() * 1200),
          lossPercent: Math.round((bad ? 3 + random() * 6 : random() * 1.5) * 100) / 100,
          rttMs: Math.round(bad ? 250 + random() * 300 : 20 + random() * 80),
          jitterMs: Math.round(2 + random() * 20),
        });
      }
      events.push({ ...base, eventId: `l:${connectionId}`, kind: 'leave', at: to, connectionId, cause });
    }
  }
  return events;
}

async function prepare(handle: DatabaseHandle): Promise<{ meetingId: string; siteId: string; events: number; seedMs: number; insertMs: number }> {
  const db = handle.db;
  let t0 = performance.now();
  await seedAdministrativeTree(db);
  const seedMs = performance.now() - t0;
  const [user] = await db
    .insert(users)
    .values({ email: 'bench@hoinghi.local', displayName: 'Bench', role: 'secretariat', passwordHash: 'not-a-hash' })
    .returning();
  const all = await db.select({ id: sites.id, unitCode: sites.unitCode, kind: sites.kind }).from(sites);
  const host = all.find((s) => s.unitCode === NATIONAL_UNIT_CODE && s.kind === 'hall')!;
  const participants = all.filter((s) => s.id !== host.id).map((s) => s.id);
  const meetingId = randomUUID();
  await db.insert(meetings).values({
    id: meetingId,
    uid: `${meetingId}@bench`,
    title: 'Hội nghị trực tuyến toàn quốc',
    hostSiteId: host.id,
    startsAt: START,
    endsAt: END,
    createdBy: user!.id,
    startedAt: START,
    endedAt: END,
  });
  const rows = [{ meetingId, siteId: host.id, role: 'host' as const }, ...participants.map((siteId) => ({ meetingId, siteId, role: 'participant' as const }))];
  for (let i = 0; i < rows.length; i += 2000) await db.insert(meetingParticipants).values(rows.slice(i, i + 2000));

  const events = eventsFor(meetingId, [host.id, ...participants]);
  t0 = performance.now();
  for (let i = 0; i < events.length; i += 5000) await recordAttendanceEvents(db, events.slice(i, i + 5000));
  const insertMs = performance.now() - t0;
  await db.execute(sql`analyze`);
  out(`  sites invited: ${rows.length} (${participants.length} participants), events stored: ${events.length}`);
  return { meetingId, siteId: participants[0]!, events: events.length, seedMs, insertMs };
}

type Timings = Record<'baseline' | 'computed' | 'report' | 'csv' | 'late', number[]>;

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  const reader = stream.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.length;
  return bytes;
}

async function measure(handle: DatabaseHandle, meetingId: string, siteId: string): Promise<Timings> {
  const timings: Timings = { baseline: [], computed: [], report: [], csv: [], late: [] };
  for (let run = 0; run < WARMUP + RUNS; run++) {
    const keep = run >= WARMUP;
    let t0 = performance.now();
    await handle.db.execute(sql`select * from attendance_events where meeting_id = ${meetingId}`);
    const baseline = performance.now() - t0;

    t0 = performance.now();
    const input = (await loadMeetingAttendanceInput(handle.db, meetingId))!;
    const ledger = computeLedger({ meeting: input.meeting, invitedSites: input.invitedSites, events: input.events, now: NOW, includeQualityTimeline: false });
    JSON.stringify(meetingReportJson({ meeting: { ...input.meeting, hostSiteName: null }, invitedSites: input.invitedSites, ledger, source: 'computed' }, NOW));
    const computed = performance.now() - t0;

    // A late event (a sample that reached the server after the meeting) drops the stored ledger.
    await recordAttendanceEvents(handle.db, [
      {
        eventId: `late:${run}`,
        meetingId,
        siteId,
        kind: 'quality',
        at: new Date(START.getTime() + 30 * MIN + run),
        connectionId: 'late',
        bitrateKbps: 900,
        lossPercent: 0.5,
        rttMs: 40,
        jitterMs: 3,
      },
    ]);
    t0 = performance.now();
    // What the route does: the stored report first; after a late event there is none, so it is built (and stored).
    if ((await storedReportBody(handle.db, meetingId, NOW, undefined)) !== null) throw new Error('a stored report survived a late event');
    const afterLate = await buildMeetingReport(handle.db, meetingId, NOW);
    JSON.stringify(meetingReportJson(afterLate, NOW));
    const late = performance.now() - t0;
    if (afterLate.source !== 'computed') throw new Error(`after a late event the report came from the ${afterLate.source} ledger`);

    t0 = performance.now();
    const body = await storedReportBody(handle.db, meetingId, NOW, undefined);
    const reportMs = performance.now() - t0;
    if (body === null) throw new Error('no stored report after it was built');

    t0 = performance.now();
    const report = await buildMeetingReport(handle.db, meetingId, NOW);
    const csvBytes = await drain(meetingReportCsvStream(report));
    const csv = performance.now() - t0;
    if (report.source !== 'stored') throw new Error(`the CSV came from the ${report.source} ledger, not the stored one`);
    if (run === 0)
      out(
        `  report: ${report.ledger.sites.length} rows, present ${report.ledger.totals.present}/${report.ledger.totals.invited}, JSON ${(body.length / 1e6).toFixed(1)} MB, CSV ${(csvBytes / 1e3).toFixed(0)} kB`,
      );
    if (keep) {
      timings.baseline.push(baseline);
      timings.computed.push(computed);
      timings.report.push(reportMs);
      timings.csv.push(csv);
      timings.late.push(late);
    }
  }
  return timings;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * q;
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (rank - lo) * (sorted[hi]! - sorted[lo]!);
}

function report(driver: string, timings: Timings): void {
  const base = quantile(timings.baseline, 0.5);
  out(`  ${'step'.padEnd(9)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'× baseline'.padStart(11)}`);
  for (const [name, values] of Object.entries(timings)) {
    const p50 = quantile(values, 0.5);
    out(`  ${name.padEnd(9)} ${p50.toFixed(1).padStart(8)} ${quantile(values, 0.95).toFixed(1).padStart(8)} ${(p50 / base).toFixed(2).padStart(11)}`);
  }
  const total = quantile(timings.report, 0.5);
  out(
    `  ${driver}: report (stored ledger, JSON) p50 ${total.toFixed(0)} ms — ${total < TARGET_MS ? 'within' : 'OVER'} the ${TARGET_MS} ms target; ` +
      `first report after a late event p50 ${quantile(timings.late, 0.5).toFixed(0)} ms; from the events (before) p50 ${quantile(timings.computed, 0.5).toFixed(0)} ms; load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
}

async function bench(driver: 'pglite' | 'postgres', open: () => Promise<DatabaseHandle>): Promise<void> {
  out(`\n== ${driver} ==`);
  const t0 = performance.now();
  const handle = await open();
  try {
    const prepared = await prepare(handle);
    out(
      `  seed ${(prepared.seedMs / 1000).toFixed(1)} s, insert ${(prepared.insertMs / 1000).toFixed(1)} s (${Math.round(prepared.events / (prepared.insertMs / 1000))} events/s)`,
    );
    report(driver, await measure(handle, prepared.meetingId, prepared.siteId));
  } finally {
    await handle.close();
  }
  out(`  (${driver} bench took ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}

async function main(): Promise<void> {
  out(
    `Attendance report of a national meeting: ${RUNS} runs after ${WARMUP} warm-up runs, Node ${process.version}, ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  out('(a busy machine inflates every figure alike; compare the × baseline column between runs)');
  if (ONLY !== 'postgres') await bench('pglite', () => openDatabase({ DATA_DIR: '/nonexistent', DATABASE_POOL_SIZE: 1 }, { inMemory: true }));

  if (ONLY === 'pglite') return;
  const server = await startPostgresServer();
  try {
    const admin = postgres(server.url, { max: 1, onnotice: () => {} });
    await admin.unsafe('create database hoinghi_bench');
    await admin.end();
    await bench('postgres', () =>
      openDatabase({ DATABASE_URL: server.url.replace(/\/[^/]*$/, '/hoinghi_bench'), DATA_DIR: '/nonexistent', DATABASE_POOL_SIZE: 4 }),
    );
  } finally {
    server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
