/**
 * /api/meetings/:id/attendance (the report as JSON or a streamed CSV),
 * /api/meetings/:id/attendance/live (the live board once) and …/live/events (the live board
 * pushed as server-sent events: the whole board, then patches), and /api/reports/attendance
 * (the leaders' dashboard). Leaders, secretariats and admins read them within their unit's subtree (api/auth/policy.ts).
 */
import { ledgerThresholds } from './config.ts';
import { TZDate } from '@date-fns/tz';
import { differenceInCalendarDays, format, subDays } from 'date-fns';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
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
import { ForbiddenError, NotFoundError } from '../errors.ts';
import type { LiveAttendance } from './live-attendance.ts';
import { buildMeetingReport, meetingReportCsvStream, meetingReportJson, storedReportBody, type MeetingReport, type ReportOptions } from './report.ts';
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
  if (days > MAX_DASHBOARD_DAYS)
    throw new ValidationError(`A dashboard covers at most ${MAX_DASHBOARD_DAYS} days; this range has ${days}`, { from, to, maxDays: MAX_DASHBOARD_DAYS }, 400);
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
  return buildMeetingReport(ctx.db, meetingId, ctx.now(), {
    ...options,
    thresholds: ledgerThresholds(ctx.config),
    ...(view.scope === 'own-sites' ? { siteIds: view.siteIds } : {}),
  });
}

/** The live board shows the whole meeting: it is for the meeting's own unit and those above it. */
export async function assertMayWatchLive(ctx: AppContext, actor: AuthenticatedUser, meetingId: string): Promise<void> {
  if ((await meetingView(ctx.db, actor, meetingId, 'report.read')).scope !== 'full') throw new ForbiddenError('This meeting belongs to another unit');
}

/** How soon a browser's EventSource reconnects after the stream breaks. */
const RECONNECT_MS = 2000;
const MAX_UNSENT_FRAMES = 64;

export function attendanceRoutes(ctx: AppContext, live: LiveAttendance, dashboards: ComputationGate) {
  const canRead = requireAction('report.read');
  return new Hono<AppEnv>()
    .get('/meetings/:id/attendance', canRead, async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      const query = parseQuery(c, meetingAttendanceQuery);
      const now = ctx.now();
      const view = await meetingView(ctx.db, c.get('user')!, id, 'report.read');
      if (view.scope === 'full' && query.format === 'json' && !query.timeline) {
        // An ended meeting's report as stored: the common case, and the national one.
        const body = await storedReportBody(ctx.db, id, now, ledgerThresholds(ctx.config));
        if (body !== null) return c.body(body, 200, { 'Content-Type': 'application/json; charset=UTF-8' });
      }
      const report = await buildMeetingReport(ctx.db, id, now, {
        qualityTimeline: query.format === 'json' && query.timeline,
        thresholds: ledgerThresholds(ctx.config),
        live,
        ...(view.scope === 'own-sites' ? { siteIds: view.siteIds } : {}),
      });
      if (query.format === 'csv') {
        const csv = meetingReportCsvStream(report, query.sep === 'semicolon' ? { delimiter: ';', decimalSeparator: ',' } : {});
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
      await assertMayWatchLive(ctx, c.get('user')!, id);
      const board = await live.board(id, ctx.now());
      if (!board) throw new NotFoundError('Meeting', id);
      return c.json(board satisfies z.input<typeof liveBoardBody>, 200, { 'Cache-Control': 'no-store' });
    })
    .get('/meetings/:id/attendance/live/events', canRead, async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      // Refuse an unknown meeting with a plain 404, and another unit's with 403, before the stream starts.
      await assertMayWatchLive(ctx, c.get('user')!, id);
      if (!(await live.board(id, ctx.now()))) throw new NotFoundError('Meeting', id);
      c.header('Content-Type', 'text/event-stream; charset=utf-8');
      c.header('Cache-Control', 'no-store');
      // Tells a buffering reverse proxy (nginx) to pass frames through as they come.
      c.header('X-Accel-Buffering', 'no');
      return stream(c, async (out) => {
        const gone = new Promise<void>((resolve) => out.onAbort(resolve));
        await out.write(`retry: ${RECONNECT_MS}\n\n`);
        // A screen that stops reading (a laptop asleep) would make frames pile up here: past
        // MAX_UNSENT_FRAMES its stream is cut, and when it wakes it reconnects to a whole board.
        let unsent = 0;
        const stop = await live.watch(id, {
          write: (frame) => {
            if (out.aborted || out.closed) return;
            if (unsent >= MAX_UNSENT_FRAMES) {
              out.abort();
              return;
            }
            unsent += 1;
            void out.write(frame).then(
              () => (unsent -= 1),
              () => undefined,
            );
          },
        });
        if (!stop) return;
        await gone;
        stop();
      });
    })
    .get('/reports/attendance', canRead, async (c) => {
      const now = ctx.now();
      const input = parseQuery(c, dashboardQuery);
      const query = resolveDashboardQuery({ ...input, province: await dashboardProvinceFor(ctx.db, c.get('user')!, input.province) }, now);
      return c.json(
        (await dashboards.run(() => buildAttendanceDashboard(ctx.db, query, now, ledgerThresholds(ctx.config)))) satisfies z.input<
          typeof attendanceDashboardBody
        >,
      );
    });
}
