/**
 * The conference service: starts the SFU with the app's authenticator and attendance writer,
 * attaches its WebSocket endpoint to the HTTP server, and registers this process as a node
 * (api/nodes/presence.ts) so placement can send sites here. The composition root keeps it in step
 * with the schedule (server/services.ts: a removed site or a cancelled meeting is disconnected
 * once the change commits).
 * close() stops the SFU first, so open attendance intervals are closed with cause "shutdown"
 * and flushed by the writer before the database goes away.
 */
import type { Server } from 'node:http';
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { AttendanceEvent } from '../../db/attendance-event.ts';
import { meetings as meetingsTable } from '../../db/schema.ts';
import { createAttendanceWriter } from '../attendance/writer.ts';
import { cascadeUrlOf, createSfu, type Sfu } from '../../sfu/index.ts';
import { originOf, placedElsewhere } from '../nodes/registry.ts';
import type { AppContext } from '../context.ts';
import { createSignalingAuthenticator } from './authenticator.ts';
import { ConsoleRegistry } from './consoles.ts';
import { NodePresence } from '../nodes/presence.ts';

export interface ConferenceService {
  sfu: Sfu;
  /** Which account runs which console: to close them when the account loses its sign-ins. */
  consoles: ConsoleRegistry;
  /** This process in the registry of nodes (api/nodes): registered, heartbeating. */
  presence: NodePresence;
  close(): Promise<void>;
}

export async function startConferenceService(ctx: AppContext, server: Server): Promise<ConferenceService> {
  const writer = createAttendanceWriter(ctx);
  const consoles = new ConsoleRegistry();
  const sfu = await createSfu({
    config: ctx.config.sfu,
    authenticator: createSignalingAuthenticator(ctx, consoles, (meetingId, siteId) =>
      placedElsewhere(ctx.db, { meetingId, siteId, nodeId: ctx.config.sfu.node.id, at: ctx.now(), deadAfterMs: ctx.config.sfu.node.deadAfterMs }),
    ),
    attendanceSink: {
      async record(event) {
        await writer.record(event);
        await noteMeetingStartOrEnd(ctx, event);
      },
    },
    logger: ctx.logger,
    allowedOrigins: [new URL(ctx.config.PUBLIC_URL).origin],
    trustProxy: ctx.config.TRUST_PROXY,
    originOf: async (meetingId) => {
      const origin = await originOf(ctx.db, meetingId, ctx.now(), ctx.config.sfu.node.deadAfterMs);
      return origin && { nodeId: origin.nodeId, url: cascadeUrlOf(origin.signalingUrl) };
    },
  });
  sfu.attach(server);
  const { node, announcedAddress, listenIp, maxSites } = ctx.config.sfu;
  let presence: NodePresence;
  try {
    presence = await NodePresence.start(ctx, {
      node: { id: node.id, signalingUrl: node.signalingUrl, mediaAddress: announcedAddress ?? listenIp, capacity: maxSites },
      heartbeatMs: node.heartbeatMs,
      deadAfterMs: node.deadAfterMs,
      load: () => sfu.signaling.siteCount(),
      onSitesMoved: () => sfu.signaling.moveSites(),
    });
  } catch (err) {
    await sfu.close();
    await writer.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    sfu,
    consoles,
    presence,
    close: () =>
      (closing ??= (async () => {
        // Out of placement first: no new site is sent here while the rooms close.
        await presence.close();
        await sfu.close();
        await writer.close();
      })()),
  };
}

/**
 * The meeting's actual start (its first connection) and end (the host ended it for all) come
 * from the SFU's events; the attendance report counts to the actual end when there is one.
 * The earliest of each is kept, not the first stored: ending a meeting stamps every site's
 * leave in turn and the writer stores different connections' events concurrently, so the
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
