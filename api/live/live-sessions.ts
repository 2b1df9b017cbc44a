/**
 * Live sessions as part of the app: starts the SFU with the app's authenticator and attendance
 * recorder, attaches its WebSocket endpoint to the HTTP server, and keeps it in step with the
 * schedule (a removed site or a cancelled meeting is disconnected once the change commits).
 * close() stops the SFU first, so open attendance intervals are closed with cause "shutdown"
 * and flushed by the recorder before the database goes away.
 */
import type { Server } from 'node:http';
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { AttendanceEvent } from '../../db/attendance-event.ts';
import { meetings as meetingsTable } from '../../db/schema.ts';
import { createAttendanceRecorder } from '../attendance/recorder.ts';
import { createSfu, type Sfu } from '../../sfu/index.ts';
import type { AppContext } from '../context.ts';
import type { MeetingService } from '../meetings/service.ts';
import { createSignalingAuthenticator } from './authenticator.ts';

export interface LiveSessions {
  sfu: Sfu;
  close(): Promise<void>;
}

export async function startLiveSessions(ctx: AppContext, meetings: MeetingService, server: Server): Promise<LiveSessions> {
  const recorder = createAttendanceRecorder(ctx);
  const sfu = await createSfu({
    config: ctx.config.sfu,
    authenticator: createSignalingAuthenticator(ctx),
    recorder: {
      async record(event) {
        await recorder.record(event);
        await noteMeetingStartOrEnd(ctx, event);
      },
    },
    logger: ctx.logger,
    allowedOrigins: [new URL(ctx.config.PUBLIC_URL).origin],
  });
  sfu.attach(server);
  meetings.onCommitted((change) => {
    const gone = change.kind === 'cancelled' ? change.siteIds : change.removedSiteIds;
    for (const siteId of gone) sfu.revokeSite(change.meeting.id, siteId);
  });
  let closing: Promise<void> | undefined;
  return {
    sfu,
    close: () =>
      (closing ??= (async () => {
        await sfu.close();
        await recorder.close();
      })()),
  };
}

/**
 * The meeting's actual start (its first connection) and end (the host ended it for all) come
 * from the SFU's events; the attendance report counts to the actual end when there is one.
 * The earliest of each is kept, not the first stored: ending a meeting stamps every site's
 * leave in turn and the recorder stores different connections' events concurrently, so the
 * first to land may be a commune's leave stamped after the host's. Replays change nothing.
 */
export async function noteMeetingStartOrEnd(ctx: Pick<AppContext, 'db'>, event: AttendanceEvent): Promise<void> {
  if (event.kind === 'join') {
    await ctx.db
      .update(meetingsTable)
      .set({ startedAt: event.at })
      .where(and(eq(meetingsTable.id, event.meetingId), or(isNull(meetingsTable.startedAt), gt(meetingsTable.startedAt, event.at))));
  } else if (event.kind === 'leave' && event.cause === 'meeting-ended') {
    await ctx.db
      .update(meetingsTable)
      .set({ endedAt: event.at })
      .where(and(eq(meetingsTable.id, event.meetingId), or(isNull(meetingsTable.endedAt), gt(meetingsTable.endedAt, event.at))));
  }
}
