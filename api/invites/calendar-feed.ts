/**
 * A site's calendar subscription (`GET /calendar/sites/:siteId.ics?token=…`): METHOD:PUBLISH of
 * the site's meetings from yesterday on, cancelled ones marked, for calendar apps that subscribe
 * by URL. The token is a calendar-purpose site token; the secretariat mints one with
 * `POST /api/sites/:siteId/calendar-token` and hands the URL to the commune.
 */
import { and, asc, eq, gt } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { meetingParticipants, meetings, sites } from '../../db/schema.ts';
import { requireAction } from '../auth/middleware.ts';
import { assertMayManageSite } from '../auth/policy.ts';
import type { AppContext, AppEnv } from '../context.ts';
import { InvalidLinkError } from '../errors.ts';
import { parseJsonBody, parseParam, uuidParam } from '../validation.ts';
import { parseMailbox } from './config.ts';
import { renderSiteFeed } from './ical.ts';
import { calendarFeedUrl, derivedMeetingTokens, mintCalendarToken, revokeCalendarTokens, siteLinks, verifySiteToken } from './site-tokens.ts';

const FEED_PAST_HOURS = 24;
const FEED_MAX_MEETINGS = 500;

export const calendarTokenInput = z.object({
  /** Revoke the site's earlier subscription links first (a link was passed on too widely). */
  rotate: z.boolean().default(false),
});

export async function renderSiteCalendar(ctx: AppContext, siteId: string, token: string): Promise<string> {
  const now = ctx.now();
  const verified = await verifySiteToken(ctx.db, token, 'calendar', now);
  if (verified.siteId !== siteId) throw new InvalidLinkError('unknown');
  const [site] = await ctx.db.select({ name: sites.name }).from(sites).where(eq(sites.id, siteId)).limit(1);
  if (!site) throw new InvalidLinkError('unknown');
  const rows = await ctx.db
    .select({ meeting: meetings, hostSiteName: sites.name })
    .from(meetingParticipants)
    .innerJoin(meetings, eq(meetings.id, meetingParticipants.meetingId))
    .innerJoin(sites, eq(sites.id, meetings.hostSiteId))
    .where(and(eq(meetingParticipants.siteId, siteId), gt(meetings.endsAt, new Date(now.getTime() - FEED_PAST_HOURS * 3600_000))))
    .orderBy(asc(meetings.startsAt))
    .limit(FEED_MAX_MEETINGS);
  const entries = [];
  for (const { meeting, hostSiteName } of rows) {
    const cancelled = meeting.status === 'cancelled';
    const links = cancelled
      ? { join: `${ctx.config.PUBLIC_URL}/`, readiness: `${ctx.config.PUBLIC_URL}/` }
      : siteLinks(
          ctx.config.PUBLIC_URL,
          await derivedMeetingTokens(ctx.db, token, { meetingId: meeting.id, siteId, expiresAt: meeting.endsAt }),
          meeting.hostSiteId === siteId ? { meetingId: meeting.id } : undefined,
        );
    entries.push({ meeting: { ...meeting, hostSiteName }, links });
  }
  return renderSiteFeed({ site: { name: site.name }, organizer: parseMailbox(ctx.config.MAIL_FROM), meetings: entries });
}

/** The public feed: mounted at the root, outside /api, because calendar apps fetch it. */
export function calendarFeedRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().get('/calendar/sites/:file{[0-9a-fA-F-]{36}\\.ics}', async (c) => {
    const siteId = parseParam(c.req.param('file').slice(0, -'.ics'.length), uuidParam, 'site id');
    const token = c.req.query('token') ?? '';
    const ics = await renderSiteCalendar(ctx, siteId, token);
    return c.body(ics, 200, {
      'Content-Type': 'text/calendar; charset=utf-8',
      'Content-Disposition': 'inline; filename="lich-hop.ics"',
      'Cache-Control': 'private, no-store',
    });
  });
}

/** The answer to POST /api/sites/:siteId/calendar-token: the feed's URL, also as webcal:. */
export const calendarTokenBody = z.object({ siteId: z.uuid(), url: z.url(), webcalUrl: z.string().startsWith('webcal:') }).strict();

/** `POST /api/sites/:siteId/calendar-token` (secretariat): a new subscription URL for the site. */
export function calendarTokenRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().post('/sites/:siteId/calendar-token', requireAction('site.links'), async (c) => {
    const siteId = parseParam(c.req.param('siteId'), uuidParam, 'site id');
    // A JSON body ({} is enough) also keeps the POST out of reach of cross-site forms.
    const input = await parseJsonBody(c, calendarTokenInput);
    await assertMayManageSite(ctx.db, c.get('user')!, siteId);
    const token = await ctx.db.transaction(async (tx) => {
      if (input.rotate) await revokeCalendarTokens(tx, siteId, ctx.now());
      return mintCalendarToken(tx, siteId);
    });
    c.get('log').info({ siteId, rotate: input.rotate, actorUserId: c.get('user')?.id }, 'calendar subscription link issued');
    const url = calendarFeedUrl(ctx.config.PUBLIC_URL, siteId, token);
    return c.json({ siteId, url, webcalUrl: url.replace(/^https?:/, 'webcal:') } satisfies z.input<typeof calendarTokenBody>, 201);
  });
}
