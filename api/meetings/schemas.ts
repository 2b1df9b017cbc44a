/** The shapes the meetings API accepts. Domain rules (times, participants) live in rules.ts. */
import { z } from 'zod';
import { unitCode } from '../units/routes.ts';
import { humanText } from '../validation.ts';

/** ISO 8601 with an explicit offset ("2026-11-27T08:00:00+07:00" or "…Z"): a bare local time would be ambiguous. */
export const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-27T08:00:00+07:00' })
  // Calendars work in whole seconds; dropping milliseconds keeps what we store equal to what we show.
  .transform((s) => new Date(Math.floor(new Date(s).getTime() / 1000) * 1000));

const siteIdList = z.array(z.uuid()).max(10_000);
/** Units, not sites: the 34 provinces and a few communes fit; a longer list is a mistake or an attack. */
const unitCodeList = z.array(unitCode).max(200);

export const createMeetingInput = z
  .object({
    title: humanText(300),
    agenda: humanText(20_000).optional(),
    /** The office's reference number (số hiệu văn bản) printed on the invitation. */
    referenceNumber: humanText(100).optional(),
    hostSiteId: z.uuid(),
    startsAt: instant,
    endsAt: instant,
    siteIds: siteIdList.optional(),
    /** Every active site below each unit: ["44"] is all communes of Quảng Trị, ["VN"] every hall and commune. */
    unitCodes: unitCodeList.optional(),
    allowConflicts: z.boolean().default(false),
  })
  .strict();
export type CreateMeetingInput = z.output<typeof createMeetingInput>;

export const updateMeetingInput = z
  .object({
    title: humanText(300).optional(),
    agenda: humanText(20_000).nullable().optional(),
    referenceNumber: humanText(100).nullable().optional(),
    hostSiteId: z.uuid().optional(),
    startsAt: instant.optional(),
    endsAt: instant.optional(),
    addSiteIds: siteIdList.optional(),
    addUnitCodes: unitCodeList.optional(),
    removeSiteIds: siteIdList.optional(),
    allowConflicts: z.boolean().default(false),
  })
  .strict()
  .refine((v) => Object.entries(v).some(([key, value]) => key !== 'allowConflicts' && value !== undefined), 'nothing to change');
export type UpdateMeetingInput = z.output<typeof updateMeetingInput>;

export const cancelMeetingInput = z.object({ reason: humanText(1000).optional() }).strict();

export const listMeetingsQuery = z
  .object({
    from: instant.optional(),
    to: instant.optional(),
    siteId: z.uuid().optional(),
    status: z.enum(['scheduled', 'cancelled']).optional(),
    /** A page of at most 100; `after` is the previous page's nextCursor. */
    limit: z.coerce.number().int().min(1).max(100).default(50),
    after: z.string().max(200).optional(),
  })
  .strict();

/** PUT /api/meetings/:id/attachment?fileName=…: the name the sites will see. */
export const attachmentQuery = z.object({ fileName: z.string().min(1).max(500) }).strict();
