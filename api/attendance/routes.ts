/**
 * /api/meetings/:id/attendance (the report as JSON or CSV), /api/meetings/:id/attendance/live
 * (the live board) and /api/reports/attendance (the leaders' dashboard). Leaders,
 * secretariats and admins read them within their unit's subtree (api/auth/policy.ts).
 */
import { ledgerThresholds } from './config.ts';
import { TZDate } from '@date-fns/tz';
import { differenceInCalendarDays, format, subDays } from 'date-fns';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, AppEnv, AuthenticatedUser } from '../context.ts';
import { ValidationError } from '../errors.ts';
import type { ComputationGate } from './dashboard-gate.ts';
import { requireAction } from '../auth/middleware.ts';
import { dashboardProvinceFor, meetingView } from '../auth/policy.ts';
import { VIETNAM_TIME_ZONE } from '../time.ts';
import { parseParam, parseQuery, uuidParam, vietnamIsoString } from '../validation.ts';
import { buildAttendanceDashboard, vietnamDayStart, type DashboardQuery } from './dashboard.ts';
import { translator } from '../i18n/translator.ts';
import { attachmentDisposition } from './download.ts';
import { liveBoardJson } from './live-board.ts';
import { buildMeetingReport, meetingReportCsv, meetingReportJson, type MeetingReport, type ReportOptions } from './report.ts';
import { dashboardQuery, meetingAttendanceQuery, type DashboardQueryInput } from './schemas.ts';
import { attendanceLedgerTexts } from './texts.ts';

/** "Điểm danh - Giao ban tháng 12 - 2026-12-01.csv": the title says which meeting, the date which day. */
export function reportFileName(report: MeetingReport): string {
  const day = format(new TZDate(report.meeting.startsAt, VIETNAM_TIME_ZONE), 'yyyy-MM-dd');
  return translator(attendanceLedgerTexts, 'vi')('csv.fileName', { title: report.meeting.title.slice(0, 80), day });
}

/** The longest range one dashboard covers: a year, so one request cannot read a decade of events. */
export const MAX_DASHBOARD_DAYS = 366;

/** The dashboard's default range is the last 30 days, today included (Vietnam days). */
export function resolveDashboardQuery(input: DashboardQueryInput, now: Date): DashboardQuery {
  const today = new TZDate(now, VIETNAM_TIME_ZONE);
  const to = input.to ?? format(today, 'yyyy-MM-dd');
  const from = input.from ?? format(subDays(input.to ? new TZDate(vietnamDayStart(input.to), VIETNAM_TIME_ZONE) : today, 29), 'yyyy-MM-dd');
  const days = differenceInCalendarDays(vietnamDayStart(to), vietnamDayStart(from)) + 1;
  if (days < 1) throw new ValidationError('from must not be after to', { from, to }, 400);
  if (days > MAX_DASHBOARD_DAYS) throw new ValidationError(`A dashboard covers at most ${MAX_DASHBOARD_DAYS} days; this range has ${days}`, { from, to, maxDays: MAX_DASHBOARD_DAYS }, 400);
  return { from, to, province: input.province };
}

const count = z.number().int().min(0);

// What the attendance answers promise at their top level; the per-site rows are the report's own
// types (report.ts, live-board.ts, dashboard.ts), so these schemas stay loose below it.

/** GET /api/meetings/:id/attendance (JSON) */
export const attendanceReportBody = z.looseObject({
  meeting: z.looseObject({ id: z.uuid(), title: z.string(), startsAt: vietnamIsoString, endsAt: vietnamIsoString }),
  generatedAt: vietnamIsoString,
  phase: z.string(),
  window: z.looseObject({ from: vietnamIsoString, to: vietnamIsoString, minutes: count }),
  totals: z.custom<object>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be an object'),
  sites: z.array(z.object({ siteId: z.uuid() })),
});

/** GET /api/meetings/:id/attendance/live */
export const liveBoardBody = z.looseObject({
  meeting: z.looseObject({ id: z.uuid() }),
  phase: z.string(),
  now: vietnamIsoString,
  counts: z.record(z.string(), count),
  sites: z.array(z.looseObject({ siteId: z.uuid() })),
});

/** GET /api/reports/attendance */
export const attendanceDashboardBody = z.looseObject({
  range: z.looseObject({ from: z.iso.date(), to: z.iso.date() }),
  totals: z.looseObject({ meetings: count, communes: count, invitations: count }),
  provinces: z.array(z.looseObject({ code: z.string() })),
  communes: z.array(z.unknown()),
  meetings: z.array(z.unknown()),
});

/**
 * The report an actor may read (api/auth/policy.ts): the whole meeting when it belongs to the
 * actor's subtree, otherwise (a national meeting read by a province) the actor's own sites only.
 */
export async function scopedMeetingReport(ctx: AppContext, actor: AuthenticatedUser, meetingId: string, options: ReportOptions = {}): Promise<MeetingReport> {
  const view = await meetingView(ctx.db, actor, meetingId, 'report.read');
  return buildMeetingReport(ctx.db, meetingId, ctx.now(), { ...options, thresholds: ledgerThresholds(ctx.config), ...(view.scope === 'own-sites' ? { siteIds: view.siteIds } : {}) });
}

export function attendanceRoutes(ctx: AppContext, dashboards: ComputationGate) {
  const canRead = requireAction('report.read');
  return new Hono<AppEnv>()
    .get('/meetings/:id/attendance', canRead, async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      const query = parseQuery(c, meetingAttendanceQuery);
      const now = ctx.now();
      const report = await scopedMeetingReport(ctx, c.get('user')!, id, { qualityTimeline: query.format === 'json' && query.timeline });
      if (query.format === 'csv') {
        const csv = meetingReportCsv(report, query.sep === 'semicolon' ? { delimiter: ';', decimalSeparator: ',' } : {});
        return c.body(csv, 200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': attachmentDisposition(reportFileName(report)),
          'Cache-Control': 'no-store',
        });
      }
      return c.json(meetingReportJson(report, now, { timeline: query.timeline }) satisfies z.input<typeof attendanceReportBody>);
    })
    .get('/meetings/:id/attendance/live', canRead, async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      const now = ctx.now();
      const report = await scopedMeetingReport(ctx, c.get('user')!, id);
      return c.json(liveBoardJson(report, now) satisfies z.input<typeof liveBoardBody>, 200, { 'Cache-Control': 'no-store' });
    })
    .get('/reports/attendance', canRead, async (c) => {
      const now = ctx.now();
      const input = parseQuery(c, dashboardQuery);
      const query = resolveDashboardQuery({ ...input, province: await dashboardProvinceFor(ctx.db, c.get('user')!, input.province) }, now);
      return c.json((await dashboards.run(() => buildAttendanceDashboard(ctx.db, query, now, ledgerThresholds(ctx.config)))) satisfies z.input<typeof attendanceDashboardBody>);
    });
}
