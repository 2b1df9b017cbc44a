/**
 * Attendance events stored by another process (a media node of a multi-node meeting) reach this
 * process's listeners — the live board's — through PostgreSQL NOTIFY, on a real server: the
 * writer is a child process (tests/support/attendance-writer-child.ts) on the same database.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { scheduleMeeting, sitesOf } from '../../tests/support/attendance.ts';
import { REPO_ROOT } from '../../tests/support/server-process.ts';
import type { AttendanceEvent } from '../../db/attendance-event.ts';
import { hearOtherProcessesAttendance } from './cross-process.ts';
import { onAttendanceStored } from './store.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('postgres', { provinces: ['44'] });
});
afterAll(() => t?.close());

function storeInAnotherProcess(events: AttendanceEvent[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/attendance-writer-child.ts', t.database.url!, JSON.stringify(events)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}: ${out}`))));
  });
}

it('hands this process the events another process stored, once each', async () => {
  const { halls, communes } = await sitesOf(t, '44');
  const startsAt = new Date('2026-12-05T09:00:00+07:00');
  const meeting = await scheduleMeeting(t, {
    title: 'Họp qua nhiều máy chủ',
    hostSiteId: halls[0]!.id,
    siteIds: communes.slice(0, 3).map((c) => c.id),
    startsAt,
    endsAt: new Date(startsAt.getTime() + 3600_000),
  });
  const heard: AttendanceEvent[] = [];
  const unsubscribe = onAttendanceStored(t.database.db, (events) => heard.push(...events));
  const stop = await hearOtherProcessesAttendance(t.database, createLogger('silent'));
  try {
    // 130 events: more than one notice's worth of ids.
    const events: AttendanceEvent[] = [];
    for (let i = 0; i < 130; i++) {
      const siteId = communes[i % 3]!.id;
      events.push({
        kind: 'join',
        eventId: `j:other-${i}`,
        meetingId: meeting.id,
        siteId,
        connectionId: `other-${i}`,
        nodeId: 'edge-a',
        at: new Date(startsAt.getTime() + i * 1000),
      });
    }
    expect(await storeInAnotherProcess(events)).toContain('"stored":130');
    await expect.poll(() => heard.length, { timeout: 10_000 }).toBe(130);
    expect(new Set(heard.map((e) => e.eventId))).toEqual(new Set(events.map((e) => e.eventId)));
    expect(heard.find((e) => e.eventId === 'j:other-0')).toMatchObject({ kind: 'join', nodeId: 'edge-a', siteId: communes[0]!.id });

    // The same events again: stored once, announced once.
    expect(await storeInAnotherProcess(events)).toContain('"stored":0');
    await new Promise((r) => setTimeout(r, 500));
    expect(heard).toHaveLength(130);
  } finally {
    unsubscribe();
    await stop();
  }
});
