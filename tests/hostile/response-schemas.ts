/**
 * Test support: what the API promises to answer. The success schemas are the routes' own (each
 * beside its route, typing the body the route builds), gathered here under the names the fuzz
 * table uses; every refusal must have the error shape, with a message a person can read.
 */
import { z } from 'zod';

export {
  attendanceDashboardBody as attendanceDashboard,
  attendanceReportBody as attendanceReport,
  liveBoardBody as liveBoard,
} from '../../api/attendance/routes.ts';
export { userBody } from '../../api/auth/routes.ts';
export {
  directoryEntryBody as directoryEntry,
  directoryImportPreviewBody as directoryImportPreview,
  directoryUnitBody as directoryUnit,
} from '../../api/directory/routes.ts';
export { calendarTokenBody as calendarToken } from '../../api/invites/calendar-feed.ts';
export { deliveryStatusBody as deliveryStatus, deviceCheckBody as deviceCheck, resendResultBody as resendResult } from '../../api/invites/routes.ts';
export { meetingDetailBody as meetingDetail, meetingListBody as meetingList } from '../../api/meetings/json.ts';
export { seriesBody as series, seriesPreviewBody as seriesPreview } from '../../api/meetings/series.ts';
export { siteListBody as siteList, unitListBody as unitList, unitSitesBody as unitSites } from '../../api/units/routes.ts';

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
