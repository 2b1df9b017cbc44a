/**
 * Where reports come from: an ended meeting's stored ledger (and what invalidates it), a running
 * meeting's live ledger fed by stored events, and the live board pushed over server-sent events.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attendanceLedgers } from '../../db/schema.ts';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { ATTENDANCE_TEST_CONFIG, declineWithReason, scheduleMeeting, siteEvents, sitesOf, vn } from '../../tests/support/attendance.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { recordAttendanceEvents } from './store.ts';

// Frames are JSON read back in tests; their fields are checked where used.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = any;

interface SiteRow {
  siteId: string;
  status: string;
  group: string;
}

/** One viewer of the live board's event stream, read frame by frame. */
class BoardStream {
  readonly frames: { event: string; data: Json }[] = [];
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = '';

  private constructor(reader: ReadableStreamDefaultReader<Uint8Array>) {
    this.#reader = reader;
  }

  static async open(t: TestApp, meetingId: string): Promise<BoardStream> {
    const response = await t.app.request(`/api/meetings/${meetingId}/attendance/live/events`, { headers: { cookie: t.cookies.leader } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    return new BoardStream(response.body!.getReader());
  }

  /** Reads frames until one satisfies `test`; fails after `timeoutMs`. */
  async until(test: (frame: { event: string; data: Json }) => boolean, timeoutMs = 10_000): Promise<{ event: string; data: Json }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(test);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${this.frames.map((f) => f.event).join(', ')}`);
      const read = await Promise.race([this.#reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), left))]);
      if (read === null) continue;
      if (read.done) throw new Error('the stream ended');
      this.#buffer += this.#decoder.decode(read.value, { stream: true });
      for (let end = this.#buffer.indexOf('\n\n'); end >= 0; end = this.#buffer.indexOf('\n\n')) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) this.frames.push({ event, data: JSON.parse(data) });
      }
    }
  }

  async close(): Promise<void> {
    await this.#reader.cancel();
  }
}

describe.each(DRIVERS)('stored and live attendance on %s', (driver) => {
  let t: TestApp;
  let hall: { id: string };
  let communes: { id: string }[];

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44'], config: ATTENDANCE_TEST_CONFIG });
    const found = await sitesOf(t, '44');
    hall = found.halls[0]!;
    communes = found.communes.slice(0, 4);
  });
  afterAll(() => t.close());

  const report = async (meetingId: string) => {
    const response = await t.request('GET', `/api/meetings/${meetingId}/attendance`, { cookie: t.cookies.leader });
    expect(response.status).toBe(200);
    return response.body;
  };
  const statusOf = (body: { sites: SiteRow[] }, siteId: string) => body.sites.find((s) => s.siteId === siteId)?.status;
  const storedRow = async (meetingId: string) => (await t.database.db.select().from(attendanceLedgers).where(eq(attendanceLedgers.meetingId, meetingId)))[0];

  it("stores an ended meeting's ledger, serves the same report from it, and a late event changes it", async () => {
    const meeting = await scheduleMeeting(t, {
      title: 'Giao ban đã kết thúc',
      hostSiteId: hall.id,
      siteIds: communes.map((c) => c.id),
      startsAt: vn('2026-12-03 09:00'),
      endsAt: vn('2026-12-03 10:00'),
    });
    const [a, b] = communes.map((c) => siteEvents(meeting.id, c.id));
    await recordAttendanceEvents(t.database.db, [
      ...siteEvents(meeting.id, hall.id).session('h', vn('2026-12-03 08:50'), vn('2026-12-03 10:00'), 'meeting-ended'),
      ...a!.session('a', vn('2026-12-03 09:00'), vn('2026-12-03 10:00'), 'meeting-ended'),
    ]);
    t.clock.now = vn('2026-12-03 12:00');

    expect(await storedRow(meeting.id)).toBeUndefined();
    const first = await report(meeting.id);
    const stored = await storedRow(meeting.id);
    expect(stored?.eventCount).toBeGreaterThan(0);
    const second = await report(meeting.id);
    expect({ ...second, generatedAt: null }).toEqual({ ...first, generatedAt: null });
    // Served from what was stored, not computed again; the dashboard reads the same row.
    expect((await storedRow(meeting.id))?.computedAt).toEqual(stored?.computedAt);
    const dashboard = await t.request('GET', '/api/reports/attendance?from=2026-12-03&to=2026-12-03', { cookie: t.cookies.leader });
    expect(dashboard.body.totals).toMatchObject({ meetings: 1, attended: 1 });
    expect((await storedRow(meeting.id))?.computedAt).toEqual(stored?.computedAt);
    expect(statusOf(second, communes[1]!.id)).toBe('absent');

    // The second commune's events arrive late (its uplink was down): the report must count them.
    await recordAttendanceEvents(t.database.db, b!.session('b', vn('2026-12-03 09:20'), vn('2026-12-03 10:00'), 'meeting-ended'));
    expect(await storedRow(meeting.id)).toBeUndefined();
    const after = await report(meeting.id);
    expect(statusOf(after, communes[1]!.id)).toBe('late');
    expect(after.totals.present).toBe(first.totals.present + 1);
    expect((await storedRow(meeting.id))?.eventCount).toBeGreaterThan(stored!.eventCount);

    // A readiness answer changes an input the hash covers: the absent site now has its reason.
    await declineWithReason(t, meeting.id, communes[2]!.id, 'Mất điện', vn('2026-12-03 08:00'));
    expect(statusOf(await report(meeting.id), communes[2]!.id)).toBe('absent-with-reason');
    // A replayed event is no late event: the stored ledger stays.
    const kept = await storedRow(meeting.id);
    await recordAttendanceEvents(t.database.db, a!.session('a', vn('2026-12-03 09:00'), vn('2026-12-03 10:00'), 'meeting-ended'));
    expect((await storedRow(meeting.id))?.computedAt).toEqual(kept?.computedAt);
  });

  it("keeps a running meeting's report current from stored events", async () => {
    const meeting = await scheduleMeeting(t, {
      title: 'Giao ban đang diễn ra',
      hostSiteId: hall.id,
      siteIds: communes.map((c) => c.id),
      startsAt: vn('2026-12-04 09:00'),
      endsAt: vn('2026-12-04 11:00'),
    });
    t.clock.now = vn('2026-12-04 09:30');
    const before = await report(meeting.id);
    expect(before.phase).toBe('running');
    expect(statusOf(before, communes[0]!.id)).toBe('absent');
    await recordAttendanceEvents(t.database.db, [siteEvents(meeting.id, communes[0]!.id).join('x', vn('2026-12-04 09:10'))]);
    const after = await report(meeting.id);
    expect(statusOf(after, communes[0]!.id)).toBe('late');
    expect(after.sites.find((s: SiteRow) => s.siteId === communes[0]!.id).connectedNow).toBe(true);
    expect(await storedRow(meeting.id)).toBeUndefined();
  });

  it('pushes a join and a leave to two viewers, and the whole board again on reconnect', async () => {
    const meeting = await scheduleMeeting(t, {
      title: 'Bảng trực tiếp',
      hostSiteId: hall.id,
      siteIds: communes.map((c) => c.id),
      startsAt: vn('2026-12-05 09:00'),
      endsAt: vn('2026-12-05 11:00'),
    });
    t.clock.now = vn('2026-12-05 09:05');
    const site = siteEvents(meeting.id, communes[1]!.id);
    const viewers = [await BoardStream.open(t, meeting.id), await BoardStream.open(t, meeting.id)];
    for (const viewer of viewers) {
      const { data } = await viewer.until((f) => f.event === 'board');
      expect(data.sites).toHaveLength(5);
      expect(data.sites.find((s: SiteRow) => s.siteId === communes[1]!.id).group).toBe('not-joined');
    }
    expect(t.services.attendance.viewerCount(meeting.id)).toBe(2);

    await recordAttendanceEvents(t.database.db, [site.join('v', vn('2026-12-05 09:01'))]);
    const joined = (f: { event: string; data: Json }) =>
      f.event === 'patch' && f.data.sites.some((s: SiteRow) => s.siteId === communes[1]!.id && s.group === 'connected');
    for (const viewer of viewers) {
      const { data } = await viewer.until(joined);
      expect(data.counts.connected).toBe(1);
      // Only what changed travels.
      expect(data.sites.length).toBeLessThan(5);
    }

    t.clock.now = vn('2026-12-05 09:20');
    await recordAttendanceEvents(t.database.db, [site.leave('v', vn('2026-12-05 09:15'), 'network')]);
    const left = (f: { event: string; data: Json }) =>
      f.event === 'patch' && f.data.sites.some((s: SiteRow) => s.siteId === communes[1]!.id && s.group === 'dropped');
    for (const viewer of viewers) expect((await viewer.until(left)).data.counts.dropped).toBe(1);

    await viewers[0]!.close();
    await expect.poll(() => t.services.attendance.viewerCount(meeting.id)).toBe(1);
    const again = await BoardStream.open(t, meeting.id);
    const { data } = await again.until((f) => f.event === 'board');
    expect(data.sites.find((s: SiteRow) => s.siteId === communes[1]!.id)).toMatchObject({ group: 'dropped', lastLeaveCause: 'network' });
    await again.close();
    await viewers[1]!.close();
  });

  it('refuses the stream to anonymous visitors and for unknown meetings', async () => {
    expect((await t.request('GET', '/api/meetings/00000000-0000-4000-8000-00000000abcd/attendance/live/events', { cookie: t.cookies.leader })).status).toBe(
      404,
    );
    const meeting = await scheduleMeeting(t, {
      title: 'Không mời khách',
      hostSiteId: hall.id,
      siteIds: [communes[0]!.id],
      startsAt: vn('2026-12-06 09:00'),
      endsAt: vn('2026-12-06 10:00'),
    });
    expect((await t.request('GET', `/api/meetings/${meeting.id}/attendance/live/events`)).status).toBe(401);
  });
});
