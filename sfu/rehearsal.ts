/**
 * A rehearsal: a site's device check against the real SFU, any time before its meeting.
 *
 * The site sends its camera and microphone for a few seconds to a router of its own (on the
 * least-loaded worker, like a meeting's), through the same WebRtcServer ports the meeting will
 * use, and reads back what arrived: packets received and lost, and the round trip the SFU saw
 * in RTCP. It is never in the meeting's room: no host sees it, no consumer is made for anyone,
 * and nothing is reported as attendance. It ends after `maxDurationMs` whatever the browser
 * does, and `close()` (idempotent) closes the peer's transports, then the router.
 *
 * It does not know its signaling connection: it is given `onEnded`, called once, when it ends
 * by itself (time is up, its router or worker went away).
 */
import type { Logger } from 'pino';
import type { types as ms } from 'mediasoup';
import { Peer, type PeerIdentity } from './peer.ts';
import type { ResponseDataOf } from './protocol.ts';
import { mediaCodecs } from './room.ts';
import type { WorkerPool } from './worker-pool.ts';

export type RehearsalStats = ResponseDataOf<'rehearsalStats'>;

export interface RehearsalOptions {
  identity: Pick<PeerIdentity, 'meetingId' | 'siteId' | 'siteName'>;
  connectionId: string;
  pool: WorkerPool;
  maxDurationMs: number;
  /** The rehearsal ended on its own (time up, router closed); called once, not after close(). */
  onEnded(reason: 'time-up' | 'server-failure'): void;
  log: Logger;
}

export class Rehearsal {
  #closed = false;
  readonly #timer: NodeJS.Timeout;

  private constructor(
    readonly peer: Peer,
    readonly router: ms.Router,
    readonly maxDurationMs: number,
    private readonly onEnded: RehearsalOptions['onEnded'],
  ) {
    this.#timer = setTimeout(() => this.#end('time-up'), maxDurationMs);
    this.#timer.unref();
    router.observer.once('close', () => this.#end('server-failure'));
  }

  static async create(opts: RehearsalOptions): Promise<Rehearsal> {
    const slot = opts.pool.leastLoaded();
    if (!slot) throw new Error('no live mediasoup worker');
    const router = await slot.worker.createRouter({ mediaCodecs, appData: { rehearsal: true, meetingId: opts.identity.meetingId } });
    const log = opts.log.child({ meetingId: opts.identity.meetingId, siteId: opts.identity.siteId, rehearsal: true });
    // Always a participant's peer: a rehearsal publishes a camera and a microphone, nothing else.
    let rehearsal: Rehearsal | undefined;
    const peer = new Peer(
      {
        connectionId: opts.connectionId,
        meetingId: opts.identity.meetingId,
        siteId: opts.identity.siteId,
        siteName: opts.identity.siteName,
        role: 'participant',
      },
      router,
      slot.webRtcServer,
      // A rehearsing browser gets replies only; there is nobody to consume.
      () => undefined,
      {
        connected: () => undefined,
        failed: () => {
          if (rehearsal) rehearsal.#end('server-failure');
        },
      },
      log,
    );
    rehearsal = new Rehearsal(peer, router, opts.maxDurationMs, opts.onEnded);
    log.info({ routerId: router.id, workerPid: slot.worker.pid }, 'rehearsal started');
    return rehearsal;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** What the SFU received of the site's media so far. */
  async stats(): Promise<RehearsalStats> {
    let received = 0;
    let lost = 0;
    let rtt: number | null = null;
    for (const { producer } of this.peer.producers()) {
      for (const s of await producer.getStats()) {
        received += s.packetCount;
        lost += Math.max(0, s.packetsLost);
        if (s.roundTripTime !== undefined && s.roundTripTime > 0) rtt = Math.max(rtt ?? 0, s.roundTripTime);
      }
    }
    const expected = received + lost;
    return { packetsReceived: received, packetsLost: lost, lossPercent: expected === 0 ? 0 : Math.min(100, (lost / expected) * 100), rttMs: rtt };
  }

  #end(reason: 'time-up' | 'server-failure'): void {
    if (this.#closed) return;
    this.close();
    this.onEnded(reason);
  }

  /** Closes the peer's transports (and producers), then the router. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.peer.close();
    if (!this.router.closed) this.router.close();
  }
}
