/**
 * The SFU as the app sees it: start the worker pool and the signaling endpoint, attach it to the
 * app's HTTP server, revoke sites, shut down.
 *
 *   const sfu = await createSfu({ config: sfuConfigFromEnv(env), authenticator, attendanceSink, logger });
 *   sfu.attach(httpServer);                       // serves ws(s)://host/ws
 *   sfu.revokeSite(meetingId, siteId);            // token revoked: disconnect now
 *   await sfu.close();                            // on SIGTERM: closes attendance with 'shutdown'
 */
import type { Server } from 'node:http';
import { pino, type Logger } from 'pino';
import { AnnouncedAddress } from './announced-address.ts';
import type { SfuConfig } from './config.ts';
import type { CascadeOptions } from './cascade/coordinator.ts';
import { SignalingServer, type AttendanceSink, type SignalingAuthenticator } from './signaling.ts';
import { WorkerPool } from './worker-pool.ts';

export type { NodeIdentity, SfuConfig, SfuEnv } from './config.ts';
export { SfuEnv as SfuEnvSchema, cascadeUrlOf, sfuConfigFromEnv, signalingUrlOf } from './config.ts';
export type { OriginAddress } from './cascade/edge.ts';
export type { AttendanceSink, AuthRequest, SignalingAuthenticator, SiteIdentity } from './signaling.ts';
export { SignalingError } from './errors.ts';

export interface SfuOptions {
  config: SfuConfig;
  authenticator: SignalingAuthenticator;
  attendanceSink: AttendanceSink;
  /** The app's logger; the SFU logs as its child. Default: pino at config.logLevel. */
  logger?: Logger;
  /** Refuse WebSocket upgrades from other origins (recommended: the app's own origin). */
  allowedOrigins?: readonly string[];
  /** Behind one reverse proxy: cap WebSockets per X-Forwarded-For client, not per proxy. */
  trustProxy?: boolean;
  /** The meeting's origin node now (api/nodes); used when config.cascade is set. */
  originOf?: CascadeOptions['originOf'];
}

export interface Sfu {
  readonly pool: WorkerPool;
  readonly signaling: SignalingServer;
  attach(server: Server): void;
  revokeSite(meetingId: string, siteId: string): number;
  close(): Promise<void>;
}

export async function createSfu(opts: SfuOptions): Promise<Sfu> {
  const log = (opts.logger ?? pino({ level: opts.config.logLevel })).child({ part: 'sfu' });
  // A name in SFU_ANNOUNCED_ADDRESS becomes an IP before any worker or browser sees it.
  const announced = await AnnouncedAddress.start(opts.config.announcedAddress, { refreshMs: opts.config.announcedRefreshMs, log });
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.create({ ...opts.config, announcedAddress: announced.current }, log);
  } catch (err) {
    announced.close();
    throw err;
  }
  const signaling = new SignalingServer({
    pool,
    announced,
    config: opts.config,
    authenticator: opts.authenticator,
    attendanceSink: opts.attendanceSink,
    log,
    ...(opts.allowedOrigins ? { allowedOrigins: opts.allowedOrigins } : {}),
    ...(opts.trustProxy !== undefined ? { trustProxy: opts.trustProxy } : {}),
    ...(opts.config.cascade && opts.originOf
      ? { cascade: { nodeId: opts.config.node.id, secret: opts.config.cascade.secret, pollMs: opts.config.cascade.pollMs, originOf: opts.originOf } }
      : {}),
  });
  let closing: Promise<void> | undefined;
  return {
    pool,
    signaling,
    attach: (server) => signaling.attach(server),
    revokeSite: (meetingId, siteId) => signaling.revokeSite(meetingId, siteId),
    close: () =>
      (closing ??= (async () => {
        await signaling.close();
        pool.close();
        announced.close();
      })()),
  };
}
