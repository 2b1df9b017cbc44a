/**
 * The attendance pages: a meeting's record (/meetings/:id/attendance), its live board
 * (/meetings/:id/live) and the leaders' dashboard (/reports). They read through the same
 * functions as the JSON API, so a page never shows a figure the API would not.
 */
import { ledgerThresholds } from '../../api/attendance/config.ts';
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { adminUnits } from '../../db/schema.ts';
import type { AppContext, AppEnv } from '../../api/context.ts';
import { NotFoundError } from '../../api/errors.ts';
import { buildAttendanceDashboard } from '../../api/attendance/dashboard.ts';
import type { ComputationGate } from '../../api/attendance/dashboard-gate.ts';
import type { LiveAttendance } from '../../api/attendance/live-attendance.ts';
import { assertMayWatchLive, resolveDashboardQuery, scopedMeetingReport } from '../../api/attendance/routes.ts';
import { dashboardProvinceFor, NATIONAL_UNIT, unitInSubtree } from '../../api/auth/policy.ts';
import { dashboardQuery } from '../../api/attendance/schemas.ts';
import { parseQuery, uuidParam } from '../../api/validation.ts';
import { AttendanceDashboardPage } from './dashboard-page.tsx';
import { AttendanceLivePage } from './live-page.tsx';
import { AttendanceReportPage } from './report-page.tsx';
import { pageAuth, signedInUser } from '../common/page-auth.ts';

function meetingId(raw: string | undefined): string {
  const parsed = uuidParam.safeParse(raw);
  if (!parsed.success) throw new NotFoundError('Meeting', raw);
  return parsed.data;
}

export function attendancePages(ctx: AppContext, live: LiveAttendance, dashboards: ComputationGate) {
  return new Hono<AppEnv>()
    .get('/meetings/:id/attendance', pageAuth('report.read'), async (c) => {
      const user = signedInUser(c);
      const now = ctx.now();
      const report = await scopedMeetingReport(ctx, user, meetingId(c.req.param('id')), { live });
      return c.html(<AttendanceReportPage lang={c.get('lang')} user={user} report={report} generatedAt={now} />);
    })
    .get('/meetings/:id/live', pageAuth('report.read'), async (c) => {
      const user = signedInUser(c);
      const now = ctx.now();
      const id = meetingId(c.req.param('id'));
      await assertMayWatchLive(ctx, user, id);
      const board = await live.board(id, now);
      if (!board) throw new NotFoundError('Meeting', id);
      return c.html(<AttendanceLivePage lang={c.get('lang')} user={user} board={board} />);
    })
    .get('/reports', pageAuth('report.read'), async (c) => {
      const user = signedInUser(c);
      const now = ctx.now();
      const input = parseQuery(c, dashboardQuery);
      const province = await dashboardProvinceFor(ctx.db, user, input.province);
      const query = resolveDashboardQuery({ ...input, province }, now);
      const [dashboard, allProvinces] = await Promise.all([
        dashboards.run(() => buildAttendanceDashboard(ctx.db, query, now, ledgerThresholds(ctx.config))),
        ctx.db.select({ code: adminUnits.code, name: adminUnits.name }).from(adminUnits).where(eq(adminUnits.level, 'province')),
      ]);
      // A province's staff are offered their own province only.
      const provinces = allProvinces.filter((p) => unitInSubtree(user.unitCode, { code: p.code, parentCode: NATIONAL_UNIT }) || p.code === user.unitCode);
      // Vietnamese alphabetical order ("Đà Nẵng" after "Cao Bằng"), which the database's collation may not know.
      provinces.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
      return c.html(<AttendanceDashboardPage lang={c.get('lang')} user={user} dashboard={dashboard} provinces={provinces} />);
    });
}
