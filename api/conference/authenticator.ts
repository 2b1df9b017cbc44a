/**
 * Who may open a signaling connection, and as which site. A commune presents the join token
 * from its invite link; the host hall's operator is a signed-in secretariat whose sign-in
 * cookie arrives with the WebSocket upgrade, joining as the meeting's host site.
 */
import { and, eq } from 'drizzle-orm';
import { parse as parseCookies } from 'hono/utils/cookie';
import { meetingParticipants, meetings, sites } from '../../db/schema.ts';
import { SignalingError, type SignalingAuthenticator } from '../../sfu/index.ts';
import { findSignedInUser, SIGN_IN_COOKIE } from '../auth/sign-ins.ts';
import type { AppContext } from '../context.ts';
import { InvalidLinkError } from '../errors.ts';
import { verifySiteToken } from '../invites/site-tokens.ts';

/**
 * Meetings overrun: a connection stays open this long after the scheduled end before the SFU
 * closes it (the host can always end the meeting earlier).
 */
export const OVERRUN_GRACE_MS = 60 * 60_000;

export function createSignalingAuthenticator(ctx: Pick<AppContext, 'db' | 'now'>): SignalingAuthenticator {
  async function identityFor(meetingId: string, siteId: string) {
    const [row] = await ctx.db
      .select({ status: meetings.status, endsAt: meetings.endsAt, hostSiteId: meetings.hostSiteId, siteName: sites.name, role: meetingParticipants.role })
      .from(meetingParticipants)
      .innerJoin(meetings, eq(meetings.id, meetingParticipants.meetingId))
      .innerJoin(sites, eq(sites.id, meetingParticipants.siteId))
      .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.siteId, siteId)))
      .limit(1);
    if (!row) throw new SignalingError('forbidden', 'This site is not invited to this meeting');
    if (row.status === 'cancelled') throw new SignalingError('forbidden', 'This meeting has been cancelled');
    const validUntil = new Date(row.endsAt.getTime() + OVERRUN_GRACE_MS);
    if (validUntil.getTime() <= ctx.now().getTime()) throw new SignalingError('forbidden', 'This meeting is over');
    return { meetingId, siteId, siteName: row.siteName, role: row.role, validUntil };
  }

  return {
    async authenticate(request) {
      if (request.joinToken) {
        let verified: Awaited<ReturnType<typeof verifySiteToken>>;
        try {
          verified = await verifySiteToken(ctx.db, request.joinToken, 'join', ctx.now());
        } catch (error) {
          if (error instanceof InvalidLinkError) throw new SignalingError('unauthorized', error.message);
          throw error;
        }
        if (!verified.meetingId) throw new SignalingError('unauthorized', 'This link is not valid');
        if (request.meetingId && request.meetingId !== verified.meetingId) throw new SignalingError('forbidden', 'This link belongs to another meeting');
        return identityFor(verified.meetingId, verified.siteId);
      }
      const signInToken = request.cookieHeader ? parseCookies(request.cookieHeader, SIGN_IN_COOKIE)[SIGN_IN_COOKIE] : undefined;
      if (!signInToken) throw new SignalingError('unauthorized', 'A join link or a signed-in secretariat is required');
      const user = await findSignedInUser(ctx.db, signInToken, ctx.now());
      if (!user) throw new SignalingError('unauthorized', 'Your sign-in has ended; sign in again');
      if (user.role === 'leader') throw new SignalingError('forbidden', 'Only a secretariat can run the host console');
      if (!request.meetingId) throw new SignalingError('unauthorized', 'Which meeting? Send meetingId');
      const [meeting] = await ctx.db.select({ hostSiteId: meetings.hostSiteId }).from(meetings).where(eq(meetings.id, request.meetingId)).limit(1);
      if (!meeting) throw new SignalingError('forbidden', 'No such meeting');
      return identityFor(request.meetingId, meeting.hostSiteId);
    },
  };
}
