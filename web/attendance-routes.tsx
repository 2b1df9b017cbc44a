/**
 * The attendance pages: a meeting's record (/meetings/:id/attendance), its live board
 * (/meetings/:id/live) and the leaders' dashboard (/reports). They read through the same
 * functions as the JSON API, so a page never shows a figure the API would not.
 */
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { adminUnits } from '../db/schema.ts';
import type { AppContext, AppEnv } from '../api/context.ts';
import { NotFoundError } from '../api/errors.ts';
import { buildAttendanceDashboard } from '../api/attendance/dashboard.ts';
import { liveBoardJson } from '../api/attendance/live-board.ts';
import { buildMeetingReport } from '../api/attendance/report.ts';
import { resolveDashboardQuery } from '../api/attendance/routes.ts';
import { dashboardQuery } from '../api/attendance/schemas.ts';
import { parseQuery, uuidParam } from '../api/validation.ts';
import { registerEntryPoint, registerStaticFile } from './assets.ts';
import { AttendanceDashboardPage } from './pages/attendance-dashboard.tsx';
import { AttendanceLivePage } from './pages/attendance-live.tsx';
import { AttendanceReportPage } from './pages/attendance-report.tsx';
import { pageUser } from './routes.tsx';

registerEntryPoint('attendance-report.js', 'client/attendance-report.ts');
registerEntryPoint('attendance-live.js', 'client/attendance-live.ts');
registerEntryPoint('attendance-dashboard.js', 'client/attendance-dashboard.ts');
registerStaticFile('attendance.css', 'static/attendance.css', 'text/css; charset=utf-8');

function meetingId(raw: string | undefined): string {
  const parsed = uuidParam.safeParse(raw);
  if (!parsed.success) throw new NotFoundError('Meeting', raw);
  return parsed.data;
}

export function attendancePages(ctx: AppContext) {
  return new Hono<AppEnv>()
    .get('/meetings/:id/attendance', async (c) => {
      const user = pageUser(c, 'secretariat', 'leader');
      if (user instanceof Response) return user;
      const now = ctx.now();
      const report = await buildMeetingReport(ctx.db, meetingId(c.req.param('id')), now);
      return c.html(<AttendanceReportPage lang={c.get('lang')} user={user} report={report} generatedAt={now} />);
    })
    .get('/meetings/:id/live', async (c) => {
      const user = pageUser(c, 'secretariat', 'leader');
      if (user instanceof Response) return user;
      const now = ctx.now();
      const report = await buildMeetingReport(ctx.db, meetingId(c.req.param('id')), now);
      return c.html(<AttendanceLivePage lang={c.get('lang')} user={user} board={liveBoardJson(report, now)} />);
    })
    .get('/reports', async (c) => {
      const user = pageUser(c, 'secretariat', 'leader');
      if (user instanceof Response) return user;
      const now = ctx.now();
      const query = resolveDashboardQuery(parseQuery(c, dashboardQuery), now);
      const [dashboard, provinces] = await Promise.all([
        buildAttendanceDashboard(ctx.db, query, now),
        ctx.db.select({ code: adminUnits.code, name: adminUnits.name }).from(adminUnits).where(eq(adminUnits.level, 'province')),
      ]);
      // Vietnamese alphabetical order ("Đà Nẵng" after "Cao Bằng"), which the database's collation may not know.
      provinces.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
      return c.html(<AttendanceDashboardPage lang={c.get('lang')} user={user} dashboard={dashboard} provinces={provinces} />);
    });
}
