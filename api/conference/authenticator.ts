/**
 * Who may open a signaling connection, and as which site. A commune presents the join token
 * from its invite link; the host hall's operator is a signed-in secretariat whose sign-in
 * cookie arrives with the WebSocket upgrade, joining as the meeting's host site.
 */
import { and, eq } from 'drizzle-orm';
import { parse as parseCookies } from 'hono/utils/cookie';
import { meetingParticipants, meetings, sites } from '../../db/schema.ts';
import { SignalingError, type SignalingAuthenticator } from '../../sfu/index.ts';
import { findSignedInUser, SECURE_SIGN_IN_COOKIE, SIGN_IN_COOKIE } from '../auth/sign-ins.ts';
import type { AppContext } from '../context.ts';
import { ForbiddenError, InvalidLinkError } from '../errors.ts';
import { assertMayManageMeeting } from '../auth/policy.ts';
import { verifySiteToken } from '../invites/site-tokens.ts';
import type { ConsoleRegistry } from './consoles.ts';

/**
 * Meetings overrun: a connection stays open this long after the scheduled end before the SFU
 * closes it (the host can always end the meeting earlier).
 */
export const OVERRUN_GRACE_MS = 60 * 60_000;

/** Where a site of a meeting is placed when that is another live node (api/nodes/registry.ts placedElsewhere). */
export type PlacedElsewhere = (meetingId: string, siteId: string) => Promise<{ nodeId: string; signalingUrl: string } | undefined>;

export function createSignalingAuthenticator(
  ctx: Pick<AppContext, 'db' | 'now' | 'config'>,
  consoles?: ConsoleRegistry,
  placedElsewhere?: PlacedElsewhere,
): SignalingAuthenticator {
  /**
   * A site placed on another live node joins there, not here: this node's load is what placement
   * counted. The page asks where before every connection (web/conference/browser/ui.ts), so it
   * meets this only when its placement changed meanwhile, and then asks again.
   */
  async function admitHere(identity: { meetingId: string; siteId: string }) {
    const elsewhere = await placedElsewhere?.(identity.meetingId, identity.siteId);
    if (elsewhere) throw new SignalingError('wrong-node', `This site is placed on node ${elsewhere.nodeId}: connect to ${elsewhere.signalingUrl}`);
  }

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

  /** A link token of `purpose`, as the signaling server's refusals. */
  async function verifiedLink(token: string, purpose: 'join' | 'readiness') {
    let verified: Awaited<ReturnType<typeof verifySiteToken>>;
    try {
      verified = await verifySiteToken(ctx.db, token, purpose, ctx.now());
    } catch (error) {
      if (error instanceof InvalidLinkError) throw new SignalingError('unauthorized', error.message);
      throw error;
    }
    if (!verified.meetingId) throw new SignalingError('unauthorized', 'This link is not valid');
    return { meetingId: verified.meetingId, siteId: verified.siteId };
  }

  return {
    /**
     * A rehearsal (the device check) with the readiness link's token: from the invitation to the
     * meeting's end, for any site still invited. It enters no room and carries no powers, so the
     * host hall may rehearse too.
     */
    async authenticateRehearsal(readinessToken) {
      const verified = await verifiedLink(readinessToken, 'readiness');
      return identityFor(verified.meetingId, verified.siteId);
    },
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
        const identity = await identityFor(verified.meetingId, verified.siteId);
        // Host powers come only with a signed-in console (api/auth/policy.ts), never with a link.
        if (identity.role === 'host') throw new SignalingError('forbidden', 'The host hall runs the meeting from its console: sign in and open it');
        await admitHere(identity);
        return identity;
      }
      // The upgrade does not say whether the page was served over https: either cookie name will do.
      const cookies = request.cookieHeader ? parseCookies(request.cookieHeader) : {};
      const signInToken = cookies[SECURE_SIGN_IN_COOKIE] ?? cookies[SIGN_IN_COOKIE];
      if (!signInToken) throw new SignalingError('unauthorized', 'A join link or a signed-in secretariat is required');
      const user = await findSignedInUser(ctx.db, signInToken, ctx.now(), { idleMinutes: ctx.config.SIGN_IN_IDLE_MINUTES });
      if (!user) throw new SignalingError('unauthorized', 'Your sign-in has ended; sign in again');
      if (!request.meetingId) throw new SignalingError('unauthorized', 'Which meeting? Send meetingId');
      const [meeting] = await ctx.db.select({ hostSiteId: meetings.hostSiteId }).from(meetings).where(eq(meetings.id, request.meetingId)).limit(1);
      if (!meeting) throw new SignalingError('forbidden', 'No such meeting');
      try {
        await assertMayManageMeeting(ctx.db, user, request.meetingId, 'meeting.console');
      } catch (error) {
        if (error instanceof ForbiddenError)
          throw new SignalingError('forbidden', 'Only a secretariat of the unit this meeting belongs to can run its console');
        throw error;
      }
      const identity = await identityFor(request.meetingId, meeting.hostSiteId);
      await admitHere(identity);
      consoles?.opened(user.id, request.meetingId, meeting.hostSiteId);
      return identity;
    },
  };
}
