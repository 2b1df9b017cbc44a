/**
 * Builders for attendance tests on a TestApp: schedule a real meeting through MeetingService
 * (the clock is moved before it, since past meetings cannot be scheduled), describe what each
 * site did in Hà Nội wall-clock time, and store it through the real storage path.
 * Suites that move the clock days ahead create their app with ATTENDANCE_TEST_CONFIG so the
 * role cookies outlive the move.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { AttendanceEvent, type LeaveCause } from '../../db/attendance-event.ts';
import { rsvps, sites, users } from '../../db/schema.ts';
import type { TestApp } from './app.ts';

/** Sessions last 30 days: tests move the clock to meetings in December 2026. */
/** Tests move the clock days ahead with the same sign-ins. */
export const ATTENDANCE_TEST_CONFIG = { SIGN_IN_TTL_HOURS: '720', SIGN_IN_IDLE_MINUTES: '43200' };

/** "2026-12-02 09:00" in Hà Nội time. */
export function vn(dateTime: string): Date {
  return new Date(`${dateTime.replace(' ', 'T')}:00+07:00`);
}

export interface LineQuality {
  bitrateKbps: number;
  lossPercent: number;
  rttMs: number;
  jitterMs: number;
}
export const goodLine: LineQuality = { bitrateKbps: 1500, lossPercent: 0.3, rttMs: 40, jitterMs: 4 };
export const badLine: LineQuality = { bitrateKbps: 400, lossPercent: 6, rttMs: 450, jitterMs: 60 };

export async function sitesOf(
  t: TestApp,
  unitCode: string,
): Promise<{ halls: { id: string; name: string }[]; communes: { id: string; name: string; unitCode: string }[] }> {
  const all = (await t.request('GET', `/api/units/${unitCode}/sites`, { cookie: t.cookies.secretariat })).body.sites as {
    id: string;
    name: string;
    kind: string;
    unitCode: string;
  }[];
  return { halls: all.filter((s) => s.kind === 'hall'), communes: all.filter((s) => s.kind === 'commune') };
}

/** Schedules a meeting as the secretariat with the clock an hour before it starts; leaves the clock there. */
export async function scheduleMeeting(t: TestApp, input: { title: string; hostSiteId: string; siteIds: string[]; startsAt: Date; endsAt: Date }) {
  t.clock.now = new Date(input.startsAt.getTime() - 3600_000);
  const [user] = await t.database.db.select().from(users).where(eq(users.email, 'secretariat@test.hoinghi'));
  const secretariat = { id: user!.id, email: user!.email, displayName: user!.displayName, role: 'secretariat' as const, unitCode: 'VN' };
  return t.services.meetings.create(
    { title: input.title, hostSiteId: input.hostSiteId, siteIds: input.siteIds, startsAt: input.startsAt, endsAt: input.endsAt, allowConflicts: true },
    secretariat,
  );
}

/** Events of one site in one meeting; ids derive from content so rebuilding an event gives the same id. */
export function siteEvents(meetingId: string, siteId: string) {
  const base = (kind: string, at: Date, suffix: string) => ({
    eventId: `${kind}:${createHash('sha1').update(`${meetingId}/${siteId}/${suffix}/${at.getTime()}`).digest('hex')}`,
    meetingId,
    siteId,
    at,
  });
  return {
    join: (connectionId: string, at: Date) => AttendanceEvent.parse({ ...base('join', at, connectionId), kind: 'join', connectionId }),
    leave: (connectionId: string, at: Date, cause: LeaveCause) =>
      AttendanceEvent.parse({ ...base('leave', at, connectionId), kind: 'leave', connectionId, cause }),
    quality: (connectionId: string, at: Date, line: LineQuality) =>
      AttendanceEvent.parse({ ...base('quality', at, connectionId), kind: 'quality', connectionId, ...line }),
    /** A connection from `from` to `to`, sampled every `everyMinutes`. */
    session(connectionId: string, from: Date, to: Date, cause: LeaveCause, line: LineQuality = goodLine, everyMinutes = 10): AttendanceEvent[] {
      const events = [this.join(connectionId, from)];
      for (let at = from.getTime() + everyMinutes * 60_000; at < to.getTime(); at += everyMinutes * 60_000)
        events.push(this.quality(connectionId, new Date(at), line));
      events.push(this.leave(connectionId, to, cause));
      return events;
    },
  };
}

export async function declineWithReason(t: TestApp, meetingId: string, siteId: string, reason: string | null, answeredAt: Date): Promise<void> {
  await t.database.db.insert(rsvps).values({ meetingId, siteId, answer: 'declined', reason, answeredAt });
}

export async function setContact(t: TestApp, siteId: string, contactPhone: string): Promise<void> {
  await t.database.db.update(sites).set({ contactPhone }).where(eq(sites.id, siteId));
}
