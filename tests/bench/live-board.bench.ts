/**
 * npm run bench:live — what the pushed live board costs the server, by number of screens.
 *
 * The app (PGlite, all 34 provinces) serves a running national meeting (the national hall and
 * 3,355 sites). For 0, 1 and 20 viewers (SSE streams opened by a child process, so their CPU is
 * not the server's), the same stream of attendance events is stored: every site joins, sends
 * quality samples, some drop and come back, in batches as the SFU's writer sends them. The
 * server process's CPU time (user + system, process.cpuUsage) over the feed is printed per
 * viewer count, with the 0-viewer run as the baseline (storing the events, keeping the live
 * ledger) and the load average. Nothing is asserted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { eq } from 'drizzle-orm';
import type { AttendanceEvent } from '../../db/attendance-event.ts';
import { meetingParticipants, meetings, sites, users } from '../../db/schema.ts';
import { NATIONAL_UNIT_CODE } from '../../db/seed.ts';
import { recordAttendanceEvents } from '../../api/attendance/store.ts';
import { createTestApp } from '../support/app.ts';
import { serveApp } from '../support/browser.ts';
import { printTable } from './measure.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const VIEWERS = (process.env.BENCH_VIEWERS ?? '0,1,20').split(',').map(Number);
const out = (line: string) => process.stdout.write(`${line}\n`);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The viewers: N streams, each counting the frames and bytes it receives; prints a line when
// every stream has its whole board, and its totals when told to stop (stdin closes).
const VIEWER_SCRIPT = `
const [url, cookie, n] = process.argv.slice(1);
let boards = 0; const frames = []; const bytes = [];
const controllers = [];
for (let i = 0; i < Number(n); i++) {
  frames.push(0); bytes.push(0);
  const controller = new AbortController(); controllers.push(controller);
  fetch(url, { headers: { cookie }, signal: controller.signal }).then(async (res) => {
    const reader = res.body.getReader(); const decoder = new TextDecoder(); let buffer = ''; let first = true;
    for (;;) {
      const { done, value } = await reader.read(); if (done) break;
      bytes[i] += value.length; buffer += decoder.decode(value, { stream: true });
      let end; while ((end = buffer.indexOf('\\n\\n')) >= 0) {
        const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
        if (block.startsWith('event: board') && first) { first = false; if (++boards === Number(n)) console.log('ready'); }
        else if (block.startsWith('event:')) frames[i]++;
      }
    }
  }).catch(() => {});
}
if (Number(n) === 0) console.log('ready');
process.stdin.on('end', () => { console.log(JSON.stringify({ frames, bytes })); for (const c of controllers) c.abort(); process.exit(0); });
process.stdin.resume();
`;

function startViewers(url: string, cookie: string, n: number): Promise<{ child: ChildProcess; stop: () => Promise<{ frames: number[]; bytes: number[] }> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', VIEWER_SCRIPT, url, cookie, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    let result: ((value: { frames: number[]; bytes: number[] }) => void) | undefined;
    lines.on('line', (line) => {
      if (line === 'ready') {
        const stop = () =>
          new Promise<{ frames: number[]; bytes: number[] }>((done) => {
            result = done;
            child.stdin!.end();
          });
        resolve({ child, stop });
      } else if (line.startsWith('{')) result?.(JSON.parse(line));
    });
    child.on('error', reject);
  });
}

out(
  `Live board of a national meeting: ${ROUNDS} rounds of events per viewer count (${VIEWERS.join(', ')}), Node ${process.version}, ${os.cpus().length} CPUs, load average ${load()}`,
);
const t = await createTestApp('pglite', { realClock: true, config: { SIGN_IN_TTL_HOURS: '24' } });
const server = await serveApp(t.app.fetch);
try {
  const db = t.database.db;
  const [creator] = await db.select({ id: users.id }).from(users).where(eq(users.email, 'secretariat@test.hoinghi'));
  const all = await db.select({ id: sites.id, unitCode: sites.unitCode, kind: sites.kind }).from(sites);
  const host = all.find((s) => s.unitCode === NATIONAL_UNIT_CODE && s.kind === 'hall')!;
  const meetingId = randomUUID();
  const startsAt = new Date(Date.now() - 10 * 60_000);
  await db.insert(meetings).values({
    id: meetingId,
    uid: `${meetingId}@bench`,
    title: 'Hội nghị trực tuyến toàn quốc',
    hostSiteId: host.id,
    startsAt,
    endsAt: new Date(startsAt.getTime() + 4 * 3600_000),
    createdBy: creator!.id,
    startedAt: startsAt,
  });
  const rows = all.map((s) => ({ meetingId, siteId: s.id, role: s.id === host.id ? ('host' as const) : ('participant' as const) }));
  for (let i = 0; i < rows.length; i += 2000) await db.insert(meetingParticipants).values(rows.slice(i, i + 2000));
  out(`  meeting: ${rows.length} sites; viewers read ${server.url}/api/meetings/${meetingId}/attendance/live/events`);

  /** One round: a tenth of the sites (re)join, every connected site sends a sample, a few drop. */
  const round = (scenario: number, n: number): AttendanceEvent[] => {
    const at = new Date();
    const events: AttendanceEvent[] = [];
    const slice = Math.ceil(all.length / ROUNDS);
    for (const [index, site] of all.entries()) {
      const connectionId = `s${scenario}-${site.id.slice(0, 8)}`;
      const base = { meetingId, siteId: site.id, at };
      if (Math.floor(index / slice) === n) events.push({ ...base, eventId: `j:${connectionId}:${n}`, kind: 'join', connectionId });
      else if (Math.floor(index / slice) < n && index % 10 === n % 10)
        events.push({ ...base, eventId: `q:${connectionId}:${n}`, kind: 'quality', connectionId, bitrateKbps: 1200, lossPercent: 0.4, rttMs: 60, jitterMs: 5 });
      else if (Math.floor(index / slice) < n && index % 97 === n)
        events.push({ ...base, eventId: `l:${connectionId}:${n}`, kind: 'leave', connectionId, cause: 'network' });
    }
    return events;
  };

  const results: Record<string, string | number>[] = [];
  let baselineCpu: number | undefined;
  for (const [scenario, viewers] of VIEWERS.entries()) {
    const { stop } = await startViewers(`${server.url}/api/meetings/${meetingId}/attendance/live/events`, t.cookies.leader, viewers);
    await sleep(500);
    let events = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let n = 0; n < ROUNDS; n++) {
      const batch = round(scenario, n);
      events += batch.length;
      for (let i = 0; i < batch.length; i += 500) await recordAttendanceEvents(db, batch.slice(i, i + 500));
      // Past the push delay, so each round is pushed on its own.
      await sleep(300);
    }
    await sleep(500);
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    const received = await stop();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    baselineCpu ??= cpuMs;
    const frames = received.frames.length ? Math.round(received.frames.reduce((a, b) => a + b, 0) / received.frames.length) : 0;
    const kb = received.bytes.length ? received.bytes.reduce((a, b) => a + b, 0) / received.bytes.length / 1024 : 0;
    results.push({
      viewers,
      events,
      'server CPU ms': cpuMs.toFixed(0),
      'µs per event': ((cpuMs * 1000) / events).toFixed(0),
      '× first row': (cpuMs / baselineCpu).toFixed(2),
      'wall s': (wall / 1000).toFixed(1),
      'frames per viewer': frames,
      'kB per viewer': kb.toFixed(0),
      'load avg': load(),
    });
  }
  out('');
  printTable(results);
  out(`\n(server CPU covers storing the events, the live ledger and the pushes; the first row, ${VIEWERS[0]} viewers, is the baseline)`);
} finally {
  t.services.attendance.close();
  await server.close();
  await t.close();
}
process.exit(0);
