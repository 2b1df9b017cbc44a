/**
 * Fault: the process that owns the embedded PGlite database is killed with SIGKILL while it
 * writes attendance, twenty times in a row on the same DATA_DIR; some kills land while the
 * database is still opening (during crash recovery from the previous kill).
 *
 * Each round is a child process (tests/support/pglite-writer-child.ts) that opens the database
 * as the app does, checks that every event id acknowledged by any earlier child is stored, and
 * writes through the app's attendance writer, printing the ids whose writes returned.
 *
 * Proven: every reopen succeeds (or would say "damaged" and fail the test, never loop
 * silently), and finds every acknowledged event; at the end the files hold all of them.
 * This holds because PGlite commits with synchronous_commit=on: the WAL is written (to the
 * operating system) before a commit returns, and a killed process loses nothing the kernel
 * has. Not proven, and not promised: power loss or an operating-system crash. PGlite runs with
 * fsync off and its Node filesystem has no fsync, so after a power cut the last commits may be
 * gone; PostgreSQL (DATABASE_URL) is the choice where that matters (README, Guarantees).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { count, like } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../server/services.ts';
import { createUser } from '../../api/auth/users.ts';
import { openDatabase } from '../../db/client.ts';
import { pgliteDirectory } from '../../db/config.ts';
import { attendanceEvents, sites as sitesTable } from '../../db/schema.ts';
import { seedAdministrativeTree } from '../../db/seed.ts';
import { testConfig } from '../support/app.ts';
import { readControlFile } from '../support/pglite-files.ts';
import { REPO_ROOT } from '../support/server-process.ts';

const ROUNDS = 20;
const CHILD = path.join(REPO_ROOT, 'tests/support/pglite-writer-child.ts');

interface Round {
  round: number;
  killedDuring: 'opening' | 'writing';
  openMs: number | null;
  verified: { acked: number; missing: string[] } | null;
  acks: number;
}

describe('PGlite killed with SIGKILL during writes, 20 times', () => {
  let dir: string;
  let dataDir: string;
  let ackedFile: string;
  let meetingId: string;
  let siteId: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hoinghi-pglite-crash-'));
    dataDir = path.join(dir, 'data');
    ackedFile = path.join(dir, 'acked.txt');
    writeFileSync(ackedFile, '');
    const database = await openDatabase({ DATA_DIR: dataDir, DATABASE_POOL_SIZE: 1 });
    try {
      await seedAdministrativeTree(database.db, { provinceCodes: ['01'] });
      const all = await database.db.select({ id: sitesTable.id, kind: sitesTable.kind }).from(sitesTable);
      const hall = all.find((s) => s.kind === 'hall')!;
      siteId = all.find((s) => s.kind === 'commune')!.id;
      const user = await createUser(
        database.db,
        { email: 'thuky@test.hoinghi', displayName: 'Thư ký', role: 'secretariat', password: 'correct horse battery' },
        null,
      );
      const ctx = { config: testConfig(), db: database.db, logger: pino({ level: 'silent' }), now: () => new Date() };
      const startsAt = new Date(Date.now() + 60_000);
      const meeting = await createServices(ctx).meetings.create(
        { title: 'Giao ban', hostSiteId: hall.id, siteIds: [siteId], startsAt, endsAt: new Date(startsAt.getTime() + 3600_000), allowConflicts: true },
        { id: user.id, email: user.email, displayName: user.displayName, role: 'secretariat', unitCode: 'VN' },
      );
      meetingId = meeting.id;
    } finally {
      await database.close();
    }
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs one child until the kill condition, kills it with SIGKILL, and reports what it said. */
  const runRound = (round: number, acked: string[]): Promise<Round> =>
    new Promise((resolve, reject) => {
      // Every fifth round dies while opening, i.e. during the recovery from the previous kill.
      const killedDuring = round % 5 === 4 ? 'opening' : 'writing';
      const ackTarget = 25 * (1 + ((round * 7) % 8));
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, meetingId, siteId, ackedFile, `r${round}`], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const result: Round = { round, killedDuring, openMs: null, verified: null, acks: 0 };
      let stderr = '';
      let partial = '';
      const kill = () => child.kill('SIGKILL');
      const watchdog = setTimeout(() => {
        kill();
        reject(new Error(`round ${round}: child neither opened nor wrote in 90 s; stderr:\n${stderr}`));
      }, 90_000);
      if (killedDuring === 'opening') setTimeout(kill, 300 + 200 * Math.floor(round / 5));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        partial += d.toString();
        const lines = partial.split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          const msg = JSON.parse(line) as { step: string; ms?: number; acked?: number; missing?: string[]; ids?: string[]; error?: string };
          if (msg.step === 'damaged') {
            clearTimeout(watchdog);
            reject(new Error(`round ${round}: the database says it is damaged: ${msg.error}`));
          } else if (msg.step === 'opened') {
            result.openMs = msg.ms!;
          } else if (msg.step === 'verified') {
            result.verified = { acked: msg.acked!, missing: msg.missing! };
          } else if (msg.step === 'ack') {
            acked.push(...msg.ids!);
            appendFileSync(ackedFile, msg.ids!.map((id) => `${id}\n`).join(''));
            result.acks += msg.ids!.length;
            if (killedDuring === 'writing' && result.acks >= ackTarget) kill();
          }
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(watchdog);
        if (signal !== 'SIGKILL') reject(new Error(`round ${round}: child exited by itself (${code}); stderr:\n${stderr}`));
        else resolve(result);
      });
    });

  // Twenty PGlite start-ups (with crash recovery) take about a minute on two cores.
  it('finds every acknowledged write after each kill, and never fails to reopen', { timeout: 300_000 }, async () => {
    const acked: string[] = [];
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r = await runRound(round, acked);
      rounds.push(r);
      // A round that got as far as checking must have found everything acknowledged before it.
      if (r.verified) expect(r.verified.missing, `round ${round} lost acknowledged writes`).toEqual([]);
    }
    expect(rounds.filter((r) => r.killedDuring === 'writing').every((r) => r.verified !== null && r.acks > 0)).toBe(true);
    expect(acked.length).toBeGreaterThan(1000);

    // The files were left by a kill: PostgreSQL's own record of an unclean stop. A last round
    // killed while opening may have been stopped in the middle of its own crash recovery.
    expect(['in production', 'in crash recovery']).toContain(readControlFile(pgliteDirectory({ DATA_DIR: dataDir })).state);
    const database = await openDatabase({ DATA_DIR: dataDir, DATABASE_POOL_SIZE: 1 });
    try {
      const stored = new Set<string>();
      const rows = await database.db.select({ id: attendanceEvents.eventId }).from(attendanceEvents).where(like(attendanceEvents.eventId, 'r%'));
      for (const row of rows) stored.add(row.id);
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);
      const [total] = await database.db.select({ n: count() }).from(attendanceEvents);
      expect(total!.n).toBe(stored.size);
    } finally {
      await database.close();
    }
    expect(readControlFile(pgliteDirectory({ DATA_DIR: dataDir })).state).toBe('shut down');
  });
});
