/**
 * The services the JSON API and the pages share. They are built and connected to each other in
 * the composition root (server/services.ts); api/ only names what it needs.
 */
import type { ComputationGate } from './attendance/dashboard-gate.ts';
import type { AccountService } from './auth/accounts.ts';
import type { LiveAttendance } from './attendance/live-attendance.ts';
import type { LoginLimiter } from './auth/login-limiter.ts';
import type { CalendarLinks } from './directory/calendar-link.ts';
import type { DirectoryImports } from './directory/import.ts';
import type { DirectoryService } from './directory/service.ts';
import type { MailTransport } from './invites/mail-transport.ts';
import type { InviteOutbox } from './invites/outbox.ts';
import type { MeetingReplyCache } from './meetings/reply-cache.ts';
import type { SeriesService } from './meetings/series.ts';
import type { MeetingService } from './meetings/service.ts';
import type { NodeDirectory } from './nodes/directory.ts';

export interface AppServices {
  meetings: MeetingService;
  /** Recurring meetings: one series, one meeting per occurrence. */
  series: SeriesService;
  /** Writes invitation rows in every meeting transaction and wakes the dispatcher after commit. */
  invites: InviteOutbox;
  loginLimiter: LoginLimiter;
  /** The directory of sites (contacts) and its spreadsheet imports. */
  directory: DirectoryService;
  directoryImports: DirectoryImports;
  /** Sites' calendar subscription links, made (and sent) from the directory. */
  calendarLinks: CalendarLinks;
  /** Listing, deactivating, passwords, forgotten-password links. */
  accounts: AccountService;
  /** The one way mail leaves the process (SMTP or the local mail folder). */
  mail: MailTransport;
  /** At most a few attendance dashboards computed at once (pages and API together). */
  dashboardGate: ComputationGate;
  /** Live ledgers of running meetings and the pushed live boards. */
  attendance: LiveAttendance;
  /** Meeting reads kept for a moment per account; cleared by every meeting change. */
  meetingReads: MeetingReplyCache;
  /** The SFU nodes' signaling origins, for the live pages' Content-Security-Policy. */
  nodes: NodeDirectory;
}
