/**
 * The live meeting pages: `/join/:token` (a commune, from its invite link, no account) and
 * `/meetings/:id/console` (the host hall, a signed-in secretariat). Only the page shells are
 * served here; media and signaling go through the SFU's `/ws`.
 *
 * The router takes the two lookups the shells need; conferencePageLookups(ctx) gives the app's
 * own (site tokens, meetings), tests may pass others:
 *
 *   app.route('/', conferencePages(conferencePageLookups(ctx)));
 *
 * A join token is a secret: it never reaches a log line from here (errors are logged without
 * the path), the page asks for `no-referrer`, and the browser sends it only inside the `join`
 * message on the WebSocket, never in a URL it requests.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { assertMayManageMeeting, roleMay } from '../../api/auth/policy.ts';
import type { AppContext, AppEnv, AuthenticatedUser } from '../../api/context.ts';
import { ForbiddenError, InvalidLinkError } from '../../api/errors.ts';
import { latestDeviceChecks, type DeviceCheckView } from '../../api/invites/device-checks.ts';
import { currentOccurrence, verifySiteToken } from '../../api/invites/site-tokens.ts';
import { loadSeries } from '../../api/meetings/series.ts';
import { getMeetingDetail, type MeetingDetail } from '../../api/meetings/queries.ts';
import { uuidParam } from '../../api/validation.ts';
import { conferenceTranslator } from './texts.ts';
import { ConferenceMessagePage, ConsolePage, JoinPage, type MeetingFacts } from './pages.tsx';

export type { MeetingFacts } from './pages.tsx';

export interface JoinPageFacts {
  meeting: MeetingFacts;
  siteId: string;
  siteName: string;
}

export interface ConsoleFacts {
  meeting: MeetingFacts;
  /** Sites invited besides the host. */
  invitedCount: number;
  /** Each site's latest device check (the rehearsal from its invitation), by site id. */
  deviceChecks: ReadonlyMap<string, DeviceCheckView>;
}

export interface ConferencePageDeps {
  /**
   * What the commune's page shows for a join token; throws InvalidLinkError (or returns null)
   * for an unknown, expired or revoked one.
   */
  resolveJoinToken(token: string): Promise<JoinPageFacts | null>;
  /** The meeting the console runs; null if there is no such meeting (or it was cancelled). */
  consoleFacts(meetingId: string): Promise<ConsoleFacts | null>;
  /** Throws ForbiddenError unless the user may run this meeting's console (api/auth/policy.ts). */
  assertMayOpenConsole(user: AuthenticatedUser, meetingId: string): Promise<void>;
  /**
   * The occurrence of a series whose console the host hall's link in the series' invitation
   * opens: the running or next one (null when none is left). Optional for pages without series.
   */
  seriesConsoleMeeting?(seriesId: string): Promise<string | null>;
}

/** The page facts of a meeting as the meetings service returns it (for both lookups). */
export function meetingFacts(detail: MeetingDetail): MeetingFacts {
  return {
    meetingId: detail.id,
    meetingTitle: detail.title,
    hostSiteId: detail.hostSite.id,
    hostSiteName: detail.hostSite.name,
    startsAt: detail.startsAt,
    endsAt: detail.endsAt,
    sites: detail.participants.map((p) => ({ siteId: p.siteId, name: p.name })),
  };
}

/** The app's lookups: join tokens from site_tokens, meetings from the database. */
export function conferencePageLookups(ctx: AppContext): ConferencePageDeps {
  const liveMeeting = async (meetingId: string | null) => {
    const detail = meetingId ? await getMeetingDetail(ctx.db, meetingId) : null;
    return detail && detail.status === 'scheduled' ? detail : null;
  };
  return {
    async resolveJoinToken(token) {
      const verified = await verifySiteToken(ctx.db, token, 'join', ctx.now());
      const detail = await liveMeeting(verified.meetingId);
      if (!detail) throw new InvalidLinkError('revoked');
      const site = detail.participants.find((p) => p.siteId === verified.siteId);
      if (!site) throw new InvalidLinkError('revoked');
      return { meeting: meetingFacts(detail), siteId: site.siteId, siteName: site.name };
    },
    assertMayOpenConsole: (user, meetingId) => assertMayManageMeeting(ctx.db, user, meetingId, 'meeting.console'),
    async seriesConsoleMeeting(seriesId) {
      const series = await loadSeries(ctx.db, seriesId).catch(() => null);
      return series ? currentOccurrence(ctx.db, seriesId, series.hostSiteId, ctx.now()) : null;
    },
    async consoleFacts(meetingId) {
      const detail = await liveMeeting(meetingId);
      if (!detail) return null;
      return { meeting: meetingFacts(detail), invitedCount: detail.participantCount - 1, deviceChecks: await latestDeviceChecks(ctx.db, detail.id) };
    },
  };
}

/** `?video=low` etc.: the starting picture quality (communes on weak lines, tests). */
const VideoQuality = z.enum(['low', 'medium', 'high']);
const quality = (value: string | undefined, fallback: z.infer<typeof VideoQuality>) => VideoQuality.safeParse(value).data ?? fallback;

/** Longer than any token we issue; anything longer is not worth a database lookup. */
const MAX_TOKEN_LENGTH = 512;

export function conferencePages(deps: ConferencePageDeps) {
  const app = new Hono<AppEnv>();

  app.get('/join/:token', async (c) => {
    const lang = c.get('lang');
    const t = conferenceTranslator(lang);
    // The page's own requests must not carry the link (see the <meta name="referrer"> too),
    // and no cache should keep a page tied to a secret.
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
    const token = c.req.param('token');
    let facts: JoinPageFacts | null = null;
    if (token.length <= MAX_TOKEN_LENGTH) {
      try {
        facts = await deps.resolveJoinToken(token);
      } catch (err) {
        if (err instanceof InvalidLinkError && err.problem !== 'unknown') {
          const message = t(err.problem === 'expired' ? 'linkExpired' : 'linkRevoked');
          return c.html(<ConferenceMessagePage lang={lang} title={t('invalidLinkTitle')} message={message} />, 410);
        }
        if (!(err instanceof InvalidLinkError)) {
          // Logged without the path: it holds the token.
          c.get('log').error({ err }, 'join token lookup failed');
          return c.html(<ConferenceMessagePage lang={lang} title={t('invalidLinkTitle')} message={t('unavailable')} />, 503);
        }
      }
    }
    if (!facts) return c.html(<ConferenceMessagePage lang={lang} title={t('invalidLinkTitle')} message={t('invalidLink')} />, 404);
    // The host hall's link (an older invitation) carries no host powers: its place is the console, after sign-in.
    if (facts.siteId === facts.meeting.hostSiteId) return c.redirect(`/meetings/${facts.meeting.meetingId}/console`, 303);
    return c.html(<JoinPage lang={lang} meeting={facts.meeting} siteName={facts.siteName} quality={quality(c.req.query('video'), 'medium')} />);
  });

  // The host hall's link in a series' invitation: the console of the running or next occurrence.
  app.get('/meetings/series/:id/console', async (c) => {
    const user = c.get('user');
    if (!user) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
    const id = uuidParam.safeParse(c.req.param('id'));
    const meetingId = id.success && deps.seriesConsoleMeeting ? await deps.seriesConsoleMeeting(id.data) : null;
    if (!meetingId) {
      const t = conferenceTranslator(c.get('lang'));
      return c.html(<ConferenceMessagePage lang={c.get('lang')} title={t('notFoundTitle')} message={t('notFoundTitle')} />, 404);
    }
    return c.redirect(`/meetings/${meetingId}/console`, 303);
  });

  app.get('/meetings/:id/console', async (c) => {
    const user = c.get('user');
    if (!user) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
    if (!roleMay(user.role, 'meeting.console')) throw new ForbiddenError();
    const lang = c.get('lang');
    const t = conferenceTranslator(lang);
    const id = uuidParam.safeParse(c.req.param('id'));
    const facts = id.success ? await deps.consoleFacts(id.data) : null;
    if (facts && id.success) await deps.assertMayOpenConsole(user, id.data);
    if (!facts) return c.html(<ConferenceMessagePage lang={lang} title={t('notFoundTitle')} message={t('notFoundTitle')} />, 404);
    return c.html(
      <ConsolePage
        lang={lang}
        meeting={facts.meeting}
        invitedCount={facts.invitedCount}
        deviceChecks={facts.deviceChecks}
        quality={quality(c.req.query('video'), 'high')}
      />,
    );
  });

  return app;
}
