/**
 * The JSON API, mounted under /api by the composition root: one router per feature. Every reply
 * is `Cache-Control: private, no-cache` unless its route sets its own.
 */
import { Hono } from 'hono';
import { attendanceRoutes } from './attendance/routes.ts';
import { auditRoutes } from './audit/routes.ts';
import { authRoutes } from './auth/routes.ts';
import type { AppContext, AppEnv } from './context.ts';
import { directoryRoutes } from './directory/routes.ts';
import { calendarTokenRoutes } from './invites/calendar-feed.ts';
import { deviceCheckRoutes, inviteRoutes } from './invites/routes.ts';
import { meetingRoutes } from './meetings/routes.ts';
import { seriesRoutes } from './meetings/series-routes.ts';
import { nodeRoutes } from './nodes/routes.ts';
import type { AppServices } from './services.ts';
import { unitRoutes } from './units/routes.ts';

export function apiRoutes(ctx: AppContext, services: AppServices) {
  return (
    new Hono<AppEnv>()
      .use(async (c, next) => {
        await next();
        // Replies depend on who asks unless a route says otherwise (the administrative tree).
        if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'private, no-cache');
      })
      .route('/', authRoutes(ctx, services.loginLimiter, services.accounts))
      // No account: a site's readiness token (before unitRoutes, which asks every later route for a sign-in).
      .route('/', deviceCheckRoutes(ctx))
      // Before the units router, whose sign-in guard would cover /join/node (a commune has no account).
      .route('/', nodeRoutes(ctx, services.nodes))
      .route('/', unitRoutes(ctx))
      .route('/', seriesRoutes(services.series))
      .route('/', meetingRoutes(ctx, services.meetings, services.meetingReads))
      .route('/', inviteRoutes(ctx, services.invites))
      .route('/', calendarTokenRoutes(ctx))
      .route('/', attendanceRoutes(ctx, services.attendance, services.dashboardGate))
      .route('/', directoryRoutes(ctx.db, services.directory, services.directoryImports))
      .route('/', auditRoutes(ctx))
  );
}
