/**
 * Test support: what the API promises to answer. Successful bodies are checked against these
 * in the fuzz tests; every refusal must have the error shape, with a message a person can read.
 */
import { z } from 'zod';

/** Times are answered in Vietnam: "2026-12-01T08:00:00+07:00". */
const vietnamIso = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+07:00$/);
const count = z.number().int().min(0);

export const errorBody = z
  .object({
    error: z
      .object({
        code: z.string().regex(/^[a-z][a-z_]*$/),
        message: z
          .string()
          .min(1)
          .max(500, 'a message longer than 500 characters is not readable')
          .refine((m) => !/\[object |\n\s+at /.test(m), 'looks like a leaked value or stack')
          .refine((m) => !m.includes('\u0000'), 'carries a NUL'),
        details: z.unknown().optional(),
      })
      .strict(),
  })
  .strict();

const user = z.object({ id: z.uuid(), email: z.string().min(3), displayName: z.string().min(1), role: z.enum(['secretariat', 'leader', 'admin']), unitCode: z.string().regex(/^(VN|\d{2}|\d{5})$/) }).strict();
export const userBody = z.object({ user }).strict();

const meetingFields = {
  id: z.uuid(),
  uid: z.string().min(1),
  title: z.string().min(1).max(300),
  agenda: z.string().nullable(),
  startsAt: vietnamIso,
  endsAt: vietnamIso,
  status: z.enum(['scheduled', 'cancelled']),
  sequence: count,
  createdBy: z.uuid().nullable(),
  createdAt: vietnamIso,
  updatedAt: vietnamIso,
  cancelledAt: vietnamIso.nullable(),
  hostSite: z.object({ id: z.uuid(), name: z.string() }).strict(),
  participantCount: count,
};
const participant = z
  .object({ siteId: z.uuid(), name: z.string().min(1), kind: z.enum(['hall', 'commune', 'department']), unitCode: z.string(), unitName: z.string(), role: z.enum(['host', 'participant']) })
  .strict();
export const meetingDetail = z
  .object({ ...meetingFields, participants: z.array(participant) })
  .strict()
  .refine((m) => m.participantCount === m.participants.length && m.participants.filter((p) => p.role === 'host').length === 1, 'one host, counted participants')
  .refine((m) => Date.parse(m.endsAt) > Date.parse(m.startsAt), 'ends after it starts');
export const meetingList = z.object({ meetings: z.array(z.object(meetingFields).strict()).max(100), nextCursor: z.string().nullable() }).strict();

const unit = z.object({ code: z.string(), name: z.string(), placeType: z.string().nullable(), level: z.enum(['national', 'province', 'commune']), parentCode: z.string().nullable(), childCount: count }).strict();
export const unitList = z.object({ units: z.array(unit) }).strict();
const site = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(['hall', 'commune', 'department']),
    unitCode: z.string(),
    unitName: z.string(),
    parentCode: z.string().nullable(),
    contactEmails: z.array(z.string()),
    contactPhone: z.string().nullable(),
    active: z.boolean(),
  })
  .strict();
export const siteList = z.object({ sites: z.array(site) }).strict();
export const unitSites = z.object({ unit: z.looseObject({ code: z.string(), name: z.string() }), sites: z.array(site) }).strict();

export const deliveryStatus = z
  .object({
    meetingId: z.uuid(),
    sequence: count,
    summary: z.object({ sites: count, queued: count, sending: count, sent: count, failed: count, attending: count, declined: count, unanswered: count }).strict(),
    sites: z.array(z.looseObject({ siteId: z.uuid(), siteName: z.string(), role: z.enum(['host', 'participant']).nullable() })),
  })
  .strict();
export const resendResult = z.record(z.string(), count);
export const calendarToken = z.object({ siteId: z.uuid(), url: z.url(), webcalUrl: z.string().startsWith('webcal:') }).strict();

export const attendanceReport = z.looseObject({
  meeting: z.looseObject({ id: z.uuid(), title: z.string(), startsAt: vietnamIso, endsAt: vietnamIso }),
  generatedAt: vietnamIso,
  phase: z.string(),
  window: z.looseObject({ from: vietnamIso, to: vietnamIso, minutes: count }),
  totals: z.record(z.string(), z.unknown()),
  sites: z.array(z.looseObject({ siteId: z.uuid() })),
});
export const liveBoard = z.looseObject({
  meeting: z.looseObject({ id: z.uuid() }),
  phase: z.string(),
  now: vietnamIso,
  counts: z.record(z.string(), count),
  sites: z.array(z.looseObject({ siteId: z.uuid() })),
});
export const attendanceDashboard = z.looseObject({
  range: z.looseObject({ from: z.iso.date(), to: z.iso.date() }),
  totals: z.looseObject({ meetings: count, communes: count, invitations: count }),
  provinces: z.array(z.looseObject({ code: z.string() })),
  communes: z.array(z.unknown()),
  meetings: z.array(z.unknown()),
});
