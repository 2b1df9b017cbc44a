/**
 * GET /join/:token — a placeholder: it checks the site's join link and shows the meeting and the
 * site. The SFU work replaces this route with the live page (verifySiteToken(db, token, 'join',
 * now) is the check to keep). A route of its own so that swap touches nothing else.
 */
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { meetings, sites } from '../db/schema.ts';
import type { AppContext, AppEnv } from '../api/context.ts';
import { InvalidLinkError } from '../api/errors.ts';
import { verifySiteToken } from '../api/invites/site-tokens.ts';
import { JoinPlaceholderPage, LinkProblemPage } from './pages/readiness.tsx';

export function joinPlaceholderRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().get('/join/:token', async (c) => {
    c.header('Referrer-Policy', 'no-referrer');
    try {
      const verified = await verifySiteToken(ctx.db, c.req.param('token'), 'join', ctx.now());
      const [meeting] = await ctx.db.select().from(meetings).where(eq(meetings.id, verified.meetingId ?? '00000000-0000-0000-0000-000000000000')).limit(1);
      const [site] = await ctx.db.select({ name: sites.name }).from(sites).where(eq(sites.id, verified.siteId)).limit(1);
      if (!meeting || !site) throw new InvalidLinkError('unknown');
      if (meeting.status === 'cancelled') throw new InvalidLinkError('revoked');
      return c.html(<JoinPlaceholderPage lang={c.get('lang')} meetingTitle={meeting.title} siteName={site.name} startsAt={meeting.startsAt} endsAt={meeting.endsAt} />);
    } catch (error) {
      if (!(error instanceof InvalidLinkError)) throw error;
      return c.html(<LinkProblemPage lang={c.get('lang')} problem={error.problem} />, error.status as 404 | 410);
    }
  });
}
