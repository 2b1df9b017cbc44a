/**
 * The HTTP application, assembled: middleware, the JSON API under /api (api/), the pages (web/),
 * and the single place where errors become responses. Built from an AppContext so tests run it
 * in-process with `app.request()` against PGlite or PostgreSQL.
 */
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { bodyLimit } from 'hono/body-limit';
import { compress } from 'hono/compress';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { loadUser } from '../api/auth/middleware.ts';
import type { AppContext, AppEnv } from '../api/context.ts';
import { DomainError, ForbiddenError, NotFoundError, PayloadTooLargeError, TooManyRequestsError } from '../api/errors.ts';
import { auditLog } from '../db/schema.ts';
import { calendarFeedRoutes } from '../api/invites/calendar-feed.ts';
import { redactLinkTokens } from '../api/logger.ts';
import { ATTACHMENT_MAX_BYTES } from '../api/meetings/attachment.ts';
import { apiRoutes } from '../api/routes.ts';
import type { AppServices } from '../api/services.ts';
import { assetRoutes } from '../web/assets.ts';
import { attendancePages } from '../web/attendance/routes.tsx';
import { auditPages } from '../web/audit/routes.tsx';
import { authPages } from '../web/auth/routes.tsx';
import { describeError } from '../web/common/error-messages.ts';
import { ErrorPage } from '../web/common/error-page.tsx';
import { chooseLang } from '../web/common/texts.ts';
import { conferencePageLookups, conferencePages } from '../web/conference/routes.tsx';
import { directoryPages } from '../web/directory/routes.tsx';
import { invitePages } from '../web/invites/routes.tsx';
import { meetingPages } from '../web/meetings/routes.tsx';
import { nodePages } from '../web/nodes/routes.tsx';
import { createServices } from './services.ts';

/** Upload routes of a meeting's attachment: the API's PUT, the page's upload and the scheduling form. */
function takesAttachment(method: string, path: string): boolean {
  if (method === 'PUT') return /^\/api\/meetings\/[^/]+\/attachment$/.test(path);
  return method === 'POST' && /^\/meetings\/(new|[^/]+\/attachment)$/.test(path);
}

export function createApp(ctx: AppContext, services: AppServices = createServices(ctx)) {
  const app = new Hono<AppEnv>();

  app.use(requestId());
  app.use(async (c, next) => {
    c.set('log', ctx.logger.child({ requestId: c.get('requestId') }));
    await next();
  });
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        // The live pages open their signaling socket on the node placement chose (api/nodes).
        connectSrc: ["'self'", () => services.nodes.connectSources()],
        mediaSrc: ["'self'", 'blob:'],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
      },
      referrerPolicy: 'same-origin',
      // Keep what a route set itself: the link pages (/join, /ready) answer with
      // Referrer-Policy: no-referrer, because their URL is the site's secret.
      overwrite: false,
    }),
  );
  // Pages go gzipped to a commune's weak line (scripts and styles are compressed once by the build,
  // web/build-assets.ts); only HTML, so API replies and streams are never buffered by it.
  app.use(compress({ encoding: 'gzip', contentTypeFilter: /^text\/html/ }));
  // Cross-site form posts are refused by Origin / Sec-Fetch-Site; JSON cannot be posted
  // cross-site without a CORS preflight, which this server never grants.
  app.use(csrf());
  const limitBodies = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new PayloadTooLargeError(maxSize);
      },
    });
  const defaultLimit = limitBodies(ctx.config.BODY_LIMIT_BYTES);
  // The routes that take a meeting's PDF accept it on top of the usual form or body.
  const attachmentLimit = limitBodies(ATTACHMENT_MAX_BYTES + ctx.config.BODY_LIMIT_BYTES);
  app.use((c, next) => (takesAttachment(c.req.method, c.req.path) ? attachmentLimit : defaultLimit)(c, next));
  app.use(loadUser(ctx));
  app.use(async (c, next) => {
    c.set('lang', chooseLang(c));
    await next();
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.route('/api', apiRoutes(ctx, services));
  // Public links held by calendars and e-mail: the calendar feed, /join/:token, /ready/:token.
  app.route('/', calendarFeedRoutes(ctx));
  app.route('/', assetRoutes());
  app.route('/', authPages(ctx, services.loginLimiter, services.accounts));
  app.route('/', invitePages(ctx, services.invites));
  app.route('/', conferencePages(conferencePageLookups(ctx)));
  app.route('/', attendancePages(ctx, services.attendance, services.dashboardGate));
  app.route('/', meetingPages(ctx, services.meetings, services.series));
  app.route('/', directoryPages(ctx, services.directory, services.directoryImports, services.calendarLinks));
  app.route('/', auditPages(ctx));
  app.route('/', nodePages(ctx));

  // Pages get a page in the reader's language; the API, the calendar feed and assets keep JSON.
  const wantsPage = (c: Context<AppEnv>) => {
    const path = c.req.path;
    if (path === '/api' || path.startsWith('/api/') || path.startsWith('/calendar/') || path.startsWith('/static/') || path === '/healthz') return false;
    const accept = c.req.header('accept') ?? '';
    return !(accept.includes('application/json') && !accept.includes('text/html'));
  };
  const errorPage = (c: Context<AppEnv>, status: ContentfulStatusCode, detail?: string) =>
    // Called as a function: this module stays plain TypeScript.
    c.html(
      ErrorPage({
        lang: c.get('lang') ?? 'vi',
        user: c.get('user') ?? null,
        status,
        ...(detail === undefined ? {} : { detail }),
        requestId: c.get('requestId') ?? 'unknown',
      }),
      status,
    );

  app.notFound((c) => {
    if (wantsPage(c)) return errorPage(c, 404);
    const error = new NotFoundError('Route', `${c.req.method} ${c.req.path}`);
    return c.json({ error: { code: error.code, message: error.message } }, 404);
  });

  app.onError(async (error, c) => {
    if (error instanceof ForbiddenError) await recordRefusal(ctx, c);
    if (error instanceof DomainError) {
      if (error instanceof TooManyRequestsError) c.header('Retry-After', String(error.retryAfterSeconds));
      if (wantsPage(c)) return errorPage(c, error.status, describeError(error, c.get('lang') ?? 'vi'));
      return c.json({ error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } }, error.status);
    }
    if (error instanceof HTTPException) {
      // Hono's own middleware (csrf) throws these with a status and no secrets.
      const forbidden = error.status === 403;
      const message = error.message || (forbidden ? 'Cross-site request refused: post from this site, or send JSON' : 'Request refused');
      if (wantsPage(c)) return errorPage(c, error.status as ContentfulStatusCode);
      return c.json({ error: { code: forbidden ? 'forbidden' : 'http_error', message } }, error.status);
    }
    (c.get('log') ?? ctx.logger).error({ err: error, path: redactLinkTokens(c.req.path), method: c.req.method }, 'unhandled error');
    if (wantsPage(c)) return errorPage(c, 500);
    return c.json({ error: { code: 'internal', message: `Internal error (request ${c.get('requestId') ?? 'unknown'})` } }, 500);
  });

  return app;
}
export type App = ReturnType<typeof createApp>;

/**
 * A signed-in account refused by the policy is written to the audit log (what it tried, not
 * with which link or body). Best effort: a failing write must not turn the 403 into a 500.
 */
async function recordRefusal(ctx: AppContext, c: Context<AppEnv>): Promise<void> {
  const user = c.get('user');
  if (!user) return;
  try {
    await ctx.db.insert(auditLog).values({
      actorUserId: user.id,
      action: 'request.refused',
      entity: 'request',
      entityId: `${c.req.method} ${redactLinkTokens(c.req.path)}`.slice(0, 300),
      details: {},
    });
  } catch (error) {
    (c.get('log') ?? ctx.logger).warn({ err: error }, 'refusal not audited');
  }
}
