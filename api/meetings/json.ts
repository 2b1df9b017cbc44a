/**
 * How meetings are written out by the API: the response schemas (zod) and the functions that
 * build those bodies from what the services return. Instants travel as ISO 8601 in Vietnam time
 * ("2026-11-27T08:00:00+07:00"). The routes type their bodies with these schemas; tests and the
 * fuzz suite parse answers with them, so the promise and the check cannot drift apart.
 */
import { z } from 'zod';
// The fast formatter: a list writes ~100 instants per request (tested equal to toVietnamIso).
import { fastVietnamIso as toVietnamIso } from '../time.ts';
import { vietnamIsoString } from '../validation.ts';
import type { ConflictingMeeting, MeetingDetail, MeetingPage, MeetingSummary } from './queries.ts';

const count = z.number().int().min(0);

const meetingFields = {
  id: z.uuid(),
  uid: z.string().min(1),
  title: z.string().min(1).max(300),
  agenda: z.string().nullable(),
  referenceNumber: z.string().nullable(),
  startsAt: vietnamIsoString,
  endsAt: vietnamIsoString,
  status: z.enum(['scheduled', 'cancelled']),
  sequence: count,
  createdBy: z.uuid().nullable(),
  createdAt: vietnamIsoString,
  updatedAt: vietnamIsoString,
  cancelledAt: vietnamIsoString.nullable(),
  hostSite: z.object({ id: z.uuid(), name: z.string() }).strict(),
  participantCount: count,
};

export const meetingSummaryBody = z.object(meetingFields).strict();
export type MeetingSummaryBody = z.infer<typeof meetingSummaryBody>;

const participantBody = z
  .object({
    siteId: z.uuid(),
    name: z.string().min(1),
    kind: z.enum(['hall', 'commune', 'department']),
    unitCode: z.string(),
    unitName: z.string(),
    role: z.enum(['host', 'participant']),
  })
  .strict();

/** GET /api/meetings/:id, and the answer to creating, changing or cancelling a meeting. */
export const meetingDetailBody = z
  .object({
    ...meetingFields,
    participants: z.array(participantBody),
    /** The document sent with the invitations (GET /api/meetings/:id/attachment), or null. */
    attachment: z
      .object({ fileName: z.string().min(1), sizeBytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) })
      .strict()
      .nullable(),
  })
  .strict()
  .refine((m) => m.participantCount === m.participants.length && m.participants.filter((p) => p.role === 'host').length === 1, 'one host, counted participants')
  .refine((m) => Date.parse(m.endsAt) > Date.parse(m.startsAt), 'ends after it starts');
export type MeetingDetailBody = z.infer<typeof meetingDetailBody>;

/** GET /api/meetings */
export const meetingListBody = z.object({ meetings: z.array(meetingSummaryBody).max(100), nextCursor: z.string().nullable() }).strict();
export type MeetingListBody = z.infer<typeof meetingListBody>;

/** The `details.conflicts` of a 409 schedule_conflict. */
export const conflictingMeetingBody = z
  .object({
    meetingId: z.uuid(),
    title: z.string(),
    startsAt: vietnamIsoString,
    endsAt: vietnamIsoString,
    siteCount: count,
    sites: z.array(z.object({ id: z.uuid(), name: z.string() }).strict()),
  })
  .strict();
export type ConflictingMeetingBody = z.infer<typeof conflictingMeetingBody>;

export function meetingSummaryJson(m: MeetingSummary): MeetingSummaryBody {
  return {
    id: m.id,
    uid: m.uid,
    title: m.title,
    agenda: m.agenda,
    referenceNumber: m.referenceNumber,
    startsAt: toVietnamIso(m.startsAt),
    endsAt: toVietnamIso(m.endsAt),
    status: m.status,
    sequence: m.sequence,
    createdBy: m.createdBy,
    createdAt: toVietnamIso(m.createdAt),
    updatedAt: toVietnamIso(m.updatedAt),
    cancelledAt: m.cancelledAt ? toVietnamIso(m.cancelledAt) : null,
    hostSite: m.hostSite,
    participantCount: m.participantCount,
  };
}

export function meetingDetailJson(m: MeetingDetail): MeetingDetailBody {
  return { ...meetingSummaryJson(m), participants: m.participants, attachment: m.attachment };
}

export function meetingListJson(page: MeetingPage): MeetingListBody {
  return { meetings: page.meetings.map(meetingSummaryJson), nextCursor: page.nextCursor };
}

export function conflictingMeetingJson(c: ConflictingMeeting): ConflictingMeetingBody {
  return { ...c, startsAt: toVietnamIso(c.startsAt), endsAt: toVietnamIso(c.endsAt) };
}
