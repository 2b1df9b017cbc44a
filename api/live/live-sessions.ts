/**
 * Live sessions as part of the app: starts the SFU with the app's authenticator and attendance
 * recorder, attaches its WebSocket endpoint to the HTTP server, and keeps it in step with the
 * schedule (a removed site or a cancelled meeting is disconnected once the change commits).
 * close() stops the SFU first, so open attendance intervals are closed with cause "shutdown"
 * and flushed by the recorder before the database goes away.
 */
import type { Server } from 'node:http';
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
    recorder,
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
