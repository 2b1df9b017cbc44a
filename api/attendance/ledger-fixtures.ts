/**
 * Builders for attendance events in tests: a meeting on 2 March 2026, 08:00–10:00 Hà Nội time,
 * and events written as "HH:mm[:ss]" in that time zone so tests read like the roll call does.
 * Every event goes through the real zod schema, so tests cannot build events the SFU could not send.
 */
import { AttendanceEvent, type LeaveCause } from '../../db/attendance-event.ts';
import type { InvitedSite, LedgerMeeting } from './ledger.ts';

export const meetingId = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
export const otherMeetingId = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';

/** A time on the meeting's day, Asia/Ho_Chi_Minh (UTC+7, no DST). */
export function hanoi(time: string): Date {
  const [hours, minutes, seconds = '00'] = time.split(':');
  return new Date(`2026-03-02T${hours}:${minutes}:${seconds}+07:00`);
}

export const meeting: LedgerMeeting = { id: meetingId, startsAt: hanoi('08:00'), endsAt: hanoi('10:00') };

export function siteId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function invited(n: number, extra: Partial<InvitedSite> = {}): InvitedSite {
  return { siteId: siteId(n), siteName: `Điểm cầu xã ${n}`, unitName: `UBND xã ${n}`, role: 'participant', ...extra };
}

export interface QualityMetrics {
  bitrateKbps: number;
  lossPercent: number;
  rttMs: number;
  jitterMs: number;
}

/** Events of one site; eventIds derive from content so rebuilding an event gives the same id. */
export function siteEvents(site: number, forMeeting = meetingId) {
  const base = (kind: string, time: Date, suffix: string) => ({
    eventId: `${kind}:${site}:${suffix}:${time.getTime()}`,
    meetingId: forMeeting,
    siteId: siteId(site),
    at: time,
  });
  const asDate = (time: string | Date) => (typeof time === 'string' ? hanoi(time) : time);
  return {
    join: (connectionId: string, time: string | Date): AttendanceEvent =>
      AttendanceEvent.parse({ ...base('join', asDate(time), connectionId), kind: 'join', connectionId }),
    leave: (connectionId: string, time: string | Date, cause: LeaveCause): AttendanceEvent =>
      AttendanceEvent.parse({ ...base('leave', asDate(time), connectionId), kind: 'leave', connectionId, cause }),
    quality: (connectionId: string, time: string | Date, metrics: QualityMetrics): AttendanceEvent =>
      AttendanceEvent.parse({ ...base('quality', asDate(time), connectionId), kind: 'quality', connectionId, ...metrics }),
    floorGiven: (time: string | Date): AttendanceEvent => AttendanceEvent.parse({ ...base('floor-given', asDate(time), 'floor'), kind: 'floor-given' }),
    floorTaken: (time: string | Date): AttendanceEvent => AttendanceEvent.parse({ ...base('floor-taken', asDate(time), 'floor'), kind: 'floor-taken' }),
  };
}

export const goodLine: QualityMetrics = { bitrateKbps: 1500, lossPercent: 0.5, rttMs: 40, jitterMs: 5 };
