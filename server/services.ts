/**
 * Builds the services and writes down who listens to whom. Following a meeting from scheduling
 * to invitations to the live room starts here:
 *
 *   MeetingService ──onChange (same transaction)──▶ InviteOutbox.enqueueForChange
 *                  ──onCommitted─────────────────▶ InviteOutbox.wake ──▶ InviteDispatcher
 *                  ──onCommitted─────────────────▶ Sfu.revokeSite (removed sites, cancelled meetings)
 *                  ──onCommitted─────────────────▶ LiveAttendance.meetingChanged (live boards re-read it)
 *                  ──onCommitted─────────────────▶ MeetingReplyCache.clear (meeting reads kept a moment)
 *   attendance events stored (any writer) ──────────▶ LiveAttendance (live ledgers, pushed boards)
 */
import type { AppContext } from '../api/context.ts';
import { ComputationGate } from '../api/attendance/dashboard-gate.ts';
import { AccountService } from '../api/auth/accounts.ts';
import { LiveAttendance } from '../api/attendance/live-attendance.ts';
import { LoginLimiter } from '../api/auth/login-limiter.ts';
import { CalendarLinks } from '../api/directory/calendar-link.ts';
import { DirectoryImports } from '../api/directory/import.ts';
import type { MailTransport } from '../api/invites/mail-transport.ts';
import { DirectoryService } from '../api/directory/service.ts';
import { createMailTransport } from './mail-transport.ts';
import { InviteOutbox } from '../api/invites/outbox.ts';
import { MeetingReplyCache } from '../api/meetings/reply-cache.ts';
import { SeriesService } from '../api/meetings/series.ts';
import { MeetingService } from '../api/meetings/service.ts';
import { NodeDirectory } from '../api/nodes/directory.ts';
import type { AppServices } from '../api/services.ts';
import type { ConsoleRegistry } from '../api/conference/consoles.ts';
import type { Sfu } from '../sfu/index.ts';

export type { AppServices } from '../api/services.ts';

/** Two cores: two dashboards at once leave room for the live meetings. */
const DASHBOARDS_AT_ONCE = 2;

export interface ServiceOptions {
  /** The transport invitations leave by; password-reset links take the same one. Default: from the configuration. */
  mail?: MailTransport;
}

export function createServices(ctx: AppContext, options: ServiceOptions = {}): AppServices {
  const mail = options.mail ?? createMailTransport(ctx.config, ctx.logger);
  const meetings = new MeetingService(ctx);
  const invites = new InviteOutbox(ctx);
  // Invitation rows are written inside the meeting's own transaction: a change and its
  // invitations commit together or not at all.
  meetings.onChange((tx, change) => invites.enqueueForChange(tx, change));
  meetings.onCommitted(() => invites.wake());
  // It listens to stored attendance events itself (store.ts onAttendanceStored).
  const attendance = new LiveAttendance(ctx);
  meetings.onCommitted((change) => attendance.meetingChanged(change.meeting.id));
  const meetingReads = new MeetingReplyCache();
  meetings.onCommitted(() => meetingReads.clear());
  return {
    meetings,
    series: new SeriesService(ctx, meetings),
    invites,
    loginLimiter: new LoginLimiter(ctx.config.LOGIN_MAX_ATTEMPTS, ctx.config.LOGIN_WINDOW_SECONDS),
    dashboardGate: new ComputationGate(DASHBOARDS_AT_ONCE),
    accounts: new AccountService(ctx, mail),
    mail,
    attendance,
    meetingReads,
    directory: new DirectoryService(ctx),
    directoryImports: new DirectoryImports(ctx),
    calendarLinks: new CalendarLinks(ctx, mail),
    nodes: new NodeDirectory(ctx),
  };
}

/**
 * An account that lost its sign-ins (deactivated, password reset) loses its open consoles too:
 * the SFU closes them at once, so they do not outlive the sign-in that opened them.
 */
export function closeConsolesOfEndedSignIns(accounts: AppServices['accounts'], consoles: ConsoleRegistry, sfu: Pick<Sfu, 'revokeSite'>): void {
  accounts.onSignInsEnded((userId) => {
    for (const { meetingId, siteId } of consoles.takeOpenedBy(userId)) sfu.revokeSite(meetingId, siteId);
  });
}

/** A site whose links were rotated is disconnected if it is connected (with an old link, necessarily). */
export function disconnectRotatedSites(invites: AppServices['invites'], sfu: Pick<Sfu, 'revokeSite'>): void {
  invites.onLinksRotated((meetingId, siteId) => sfu.revokeSite(meetingId, siteId));
}

/** A site removed from a meeting, or every site of a cancelled one, is disconnected once the change commits. */
export function disconnectRemovedSites(meetings: AppServices['meetings'], sfu: Pick<Sfu, 'revokeSite'>): void {
  meetings.onCommitted((change) => {
    const gone = change.kind === 'cancelled' ? change.siteIds : change.removedSiteIds;
    for (const siteId of gone) sfu.revokeSite(change.meeting.id, siteId);
  });
}
