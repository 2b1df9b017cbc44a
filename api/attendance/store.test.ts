import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttendanceEvent } from '../../db/attendance-event.ts';
import { attendanceEvents, sites } from '../../db/schema.ts';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { ATTENDANCE_TEST_CONFIG, scheduleMeeting, siteEvents, sitesOf, vn } from '../../tests/support/attendance.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { DomainError } from '../errors.ts';
import { createAttendanceWriter } from './writer.ts';
import { purgeExpiredAttendance, retentionCutoff } from './retention.ts';
import { loadMeetingAttendanceInput, recordAttendanceEvents } from './store.ts';

describe.each(DRIVERS)('attendance storage on %s', (driver) => {
  let t: TestApp;
  let hall: string;
  let communes: { id: string; name: string }[];

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44'], config: ATTENDANCE_TEST_CONFIG });
    const found = await sitesOf(t, '44');
    hall = found.halls[0]!.id;
    communes = found.communes;
  });
  afterAll(() => t.close());

  async function eventCount(meetingId?: string): Promise<number> {
    const [row] = await t.database.db
      .select({ n: count() })
      .from(attendanceEvents)
      .where(meetingId ? eq(attendanceEvents.meetingId, meetingId) : undefined);
    return row!.n;
  }

  async function newMeeting(day: string, siteCount = 3) {
    return scheduleMeeting(t, {
      title: `Họp ${day}`,
      hostSiteId: hall,
      siteIds: communes.slice(0, siteCount).map((c) => c.id),
      startsAt: vn(`${day} 09:00`),
      endsAt: vn(`${day} 11:00`),
    });
  }

  it('stores events once: replaying the same events, whole or in part, changes nothing', async () => {
    const meeting = await newMeeting('2026-12-02');
    const a = siteEvents(meeting.id, communes[0]!.id);
    const events = [
      ...a.session('c1', vn('2026-12-02 09:00'), vn('2026-12-02 09:40'), 'network'),
      ...a.session('c2', vn('2026-12-02 09:42'), vn('2026-12-02 11:00'), 'meeting-ended'),
    ];

    expect(await recordAttendanceEvents(t.database.db, events)).toEqual({ received: events.length, inserted: events.length });
    const before = await loadMeetingAttendanceInput(t.database.db, meeting.id);
    expect(await recordAttendanceEvents(t.database.db, events)).toEqual({ received: events.length, inserted: 0 });
    expect(await recordAttendanceEvents(t.database.db, [...events.slice(3), ...events.slice(0, 2)].reverse())).toMatchObject({ inserted: 0 });
    // A batch with a duplicate inside it is fine too.
    expect(await recordAttendanceEvents(t.database.db, [events[0]!, events[0]!])).toMatchObject({ inserted: 0 });
    expect(await eventCount(meeting.id)).toBe(events.length);
    const after = await loadMeetingAttendanceInput(t.database.db, meeting.id);
    const byId = (list: AttendanceEvent[]) => [...list].sort((x, y) => x.eventId.localeCompare(y.eventId));
    expect(byId(after!.events)).toEqual(byId(before!.events));
    // What comes back is what went in, field for field.
    expect(byId(after!.events)).toEqual(byId(events));
  });

  it('refuses a batch with an event for an unknown meeting or site with a 4xx, and writes nothing of it', async () => {
    const meeting = await newMeeting('2026-12-03');
    const good = siteEvents(meeting.id, communes[0]!.id).join('ok', vn('2026-12-03 09:00'));
    const unknownSite = siteEvents(meeting.id, '00000000-0000-4000-8000-000000000001').join('x', vn('2026-12-03 09:00'));
    const unknownMeeting = siteEvents('00000000-0000-4000-8000-000000000002', communes[0]!.id).join('y', vn('2026-12-03 09:00'));
    const total = await eventCount();

    for (const [bad, refers] of [
      [unknownSite, 'site'],
      [unknownMeeting, 'meeting'],
    ] as const) {
      const error = await recordAttendanceEvents(t.database.db, [good, bad]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).status).toBe(422);
      expect((error as DomainError).details).toEqual({ refers });
    }
    // Malformed events are refused before the database sees them.
    const malformed = {
      ...good,
      eventId: 'bad-quality',
      kind: 'quality',
      connectionId: 'ok',
      bitrateKbps: 1,
      lossPercent: 140,
      rttMs: 1,
      jitterMs: 1,
    } as unknown as AttendanceEvent;
    const invalid = await recordAttendanceEvents(t.database.db, [good, malformed]).catch((e: unknown) => e);
    expect((invalid as DomainError).status).toBe(422);
    expect((invalid as DomainError).message).toContain('#2');
    expect(await eventCount()).toBe(total);
  });

  it('the attendance writer batches concurrent events, settles each one, and isolates a bad event', async () => {
    const meeting = await newMeeting('2026-12-04', 20);
    const writer = createAttendanceWriter({ db: t.database.db, logger: t.ctx.logger }, { flushDelayMs: 5, maxBatch: 16 });
    const events = communes
      .slice(0, 20)
      .flatMap((c) => siteEvents(meeting.id, c.id).session(`s-${c.id}`, vn('2026-12-04 09:00'), vn('2026-12-04 11:00'), 'meeting-ended'));
    const bad = siteEvents(meeting.id, '00000000-0000-4000-8000-000000000003').join('ghost', vn('2026-12-04 09:00'));
    const results = await Promise.allSettled([...events, bad, ...events.slice(0, 5)].map((e) => writer.record(e)));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((results[events.length] as PromiseRejectedResult).reason).toBeInstanceOf(DomainError);
    await writer.close();
    await writer.close();
    expect(await eventCount(meeting.id)).toBe(events.length);
    await expect(writer.record(events[0]!)).rejects.toThrow(/closed/);
  });

  it('close() waits for events still in the buffer', async () => {
    const meeting = await newMeeting('2026-12-05', 1);
    const writer = createAttendanceWriter({ db: t.database.db, logger: t.ctx.logger }, { flushDelayMs: 60_000 });
    const pending = writer.record(siteEvents(meeting.id, communes[0]!.id).join('late-flush', vn('2026-12-05 09:00')));
    await writer.close();
    await pending;
    expect(await eventCount(meeting.id)).toBe(1);
  });

  it('purges events older than the retention, and only those', async () => {
    const meeting = await newMeeting('2026-12-06', 1);
    const a = siteEvents(meeting.id, communes[0]!.id);
    await recordAttendanceEvents(t.database.db, a.session('r', vn('2026-12-06 09:00'), vn('2026-12-06 11:00'), 'meeting-ended'));
    const n = await eventCount(meeting.id);

    // Five years later to the minute, the 09:00 join is not yet older than five years.
    expect(retentionCutoff(vn('2031-12-06 09:00'), 5)).toEqual(vn('2026-12-06 09:00'));
    await purgeExpiredAttendance(t.database.db, vn('2031-12-06 09:00'), 5);
    expect(await eventCount(meeting.id)).toBe(n);
    const partial = await purgeExpiredAttendance(t.database.db, vn('2031-12-06 10:00'), 5);
    // The join and the samples of 09:10–09:50 are gone; 10:00 onwards remains.
    expect(partial.deleted).toBe(6);
    expect(await eventCount(meeting.id)).toBe(n - 6);
    const left = await loadMeetingAttendanceInput(t.database.db, meeting.id);
    expect(left!.events.every((e) => e.at >= vn('2026-12-06 10:00'))).toBe(true);
    await purgeExpiredAttendance(t.database.db, vn('2031-12-07 00:00'), 5);
    expect(await eventCount(meeting.id)).toBe(0);
    await expect(purgeExpiredAttendance(t.database.db, vn('2031-12-07 00:00'), 0)).rejects.toThrow(RangeError);
  });

  it('keeps attendance when a site is renamed: the report shows the site under its new name', async () => {
    const meeting = await newMeeting('2026-12-07', 2);
    const site = communes[1]!;
    await recordAttendanceEvents(t.database.db, siteEvents(meeting.id, site.id).session('n', vn('2026-12-07 09:00'), vn('2026-12-07 11:00'), 'meeting-ended'));
    await t.database.db
      .update(sites)
      .set({ name: `${site.name} (mới)` })
      .where(eq(sites.id, site.id));
    try {
      t.clock.now = vn('2026-12-07 12:00');
      const report = await t.request('GET', `/api/meetings/${meeting.id}/attendance`, { cookie: t.cookies.leader });
      const row = report.body.sites.find((s: { siteId: string }) => s.siteId === site.id);
      expect(row).toMatchObject({ siteName: `${site.name} (mới)`, status: 'on-time', minutesConnected: 120 });
    } finally {
      await t.database.db.update(sites).set({ name: site.name }).where(eq(sites.id, site.id));
    }
  });

  it('keeps attendance when a meeting is cancelled after it began', async () => {
    const meeting = await newMeeting('2026-12-08', 2);
    await recordAttendanceEvents(
      t.database.db,
      siteEvents(meeting.id, communes[0]!.id).session('k', vn('2026-12-08 09:00'), vn('2026-12-08 09:30'), 'meeting-ended'),
    );
    t.clock.now = vn('2026-12-08 09:35');
    const cancelled = await t.request('POST', `/api/meetings/${meeting.id}/cancel`, { cookie: t.cookies.secretariat, body: { reason: 'Mất điện' } });
    expect(cancelled.status).toBe(200);
    t.clock.now = vn('2026-12-08 12:00');
    const report = await t.request('GET', `/api/meetings/${meeting.id}/attendance`, { cookie: t.cookies.leader });
    expect(report.status).toBe(200);
    expect(report.body.meeting.status).toBe('cancelled');
    expect(report.body.sites.find((s: { siteId: string }) => s.siteId === communes[0]!.id)).toMatchObject({ minutesConnected: 30 });
    expect(await eventCount(meeting.id)).toBeGreaterThan(0);
  });
});
