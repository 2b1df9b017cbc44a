/**
 * An impaired UDP link for tests and benches, because this machine's kernel has no `netem`: a
 * relay in the test process between two endpoints (side A and side B, e.g. the two
 * PipeTransports of a cascade link). It opens one socket on 127.0.0.1 facing each side: A sends
 * to `portForA` and hears B's packets from it, B likewise with `portForB`, so each side sees the
 * other as one fixed address (PipeTransports drop packets from any address but the one they
 * connected to).
 *
 * Each direction drops a fraction of its packets and delays the rest by a fixed time. The drops
 * come from a seeded PRNG, one per direction, so a run drops the same packets' positions every
 * time and one direction's traffic does not change the other's draws. A fixed delay keeps the
 * order of packets (timers of equal duration fire in the order they were set).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { z } from 'zod';

const LOOPBACK = '127.0.0.1';

const Endpoint = z.object({ ip: z.ipv4(), port: z.number().int().min(1).max(65535) });

const Impairment = z.object({
  /** Fraction of packets dropped, 0 to 1. */
  loss: z.number().min(0).max(1).default(0),
  /** One-way delay added to every forwarded packet. */
  delayMs: z.number().min(0).max(10_000).default(0),
});

export const LossyRelayOptions = z.object({
  a: Endpoint,
  b: Endpoint,
  /** What happens to packets from A on their way to B. */
  aToB: Impairment.default({ loss: 0, delayMs: 0 }),
  /** What happens to packets from B on their way to A. */
  bToA: Impairment.default({ loss: 0, delayMs: 0 }),
  seed: z.number().int().min(0).max(0xffff_ffff).default(1),
});
export type LossyRelayOptions = z.input<typeof LossyRelayOptions>;

export interface DirectionCounts {
  forwarded: number;
  dropped: number;
}

/** mulberry32: a small, fast PRNG whose sequence depends only on its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

async function bound(): Promise<dgram.Socket> {
  // A delayed 40 ms at 1 Mbit/s is ~5 KB in flight; the default buffers are ample, but a busy
  // test process may read late, and the relay must not add losses of its own.
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
  socket.bind(0, LOOPBACK);
  await once(socket, 'listening');
  return socket;
}

export class LossyRelay {
  readonly aToB: DirectionCounts = { forwarded: 0, dropped: 0 };
  readonly bToA: DirectionCounts = { forwarded: 0, dropped: 0 };
  /** Socket errors, which end neither the relay nor the process. */
  readonly errors: Error[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  private constructor(
    /** Faces side A: A sends here, B's packets reach A from here. */
    private readonly facingA: dgram.Socket,
    /** Faces side B. */
    private readonly facingB: dgram.Socket,
    options: z.output<typeof LossyRelayOptions>,
  ) {
    this.#direction(facingA, facingB, options.a, options.b, options.aToB, prng(options.seed), this.aToB);
    this.#direction(facingB, facingA, options.b, options.a, options.bToA, prng(options.seed ^ 0x9e37_79b9), this.bToA);
  }

  static async open(options: LossyRelayOptions): Promise<LossyRelay> {
    const parsed = LossyRelayOptions.parse(options);
    const facingA = await bound();
    const facingB = await bound().catch((err: unknown) => {
      facingA.close();
      throw err;
    });
    return new LossyRelay(facingA, facingB, parsed);
  }

  /** Where side A sends (and hears B from). */
  get portForA(): number {
    return this.facingA.address().port;
  }
  /** Where side B sends (and hears A from). */
  get portForB(): number {
    return this.facingB.address().port;
  }
  get ip(): string {
    return LOOPBACK;
  }

  /** Stops forwarding; packets still delayed are dropped. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.facingA.close();
    this.facingB.close();
  }

  #direction(
    from: dgram.Socket,
    to: dgram.Socket,
    sender: z.infer<typeof Endpoint>,
    receiver: z.infer<typeof Endpoint>,
    impairment: z.output<typeof Impairment>,
    random: () => number,
    counts: DirectionCounts,
  ): void {
    const forward = (packet: Buffer) => {
      if (this.#closed) return;
      counts.forwarded++;
      to.send(packet, receiver.port, receiver.ip);
    };
    from.on('message', (packet, origin) => {
      // Only the side this socket faces may use it; anything else on loopback is not the link.
      if (origin.port !== sender.port || origin.address !== sender.ip) return;
      if (random() < impairment.loss) {
        counts.dropped++;
        return;
      }
      if (impairment.delayMs === 0) return forward(packet);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        forward(packet);
      }, impairment.delayMs);
      this.#timers.add(timer);
    });
    // A side that is gone (ICMP unreachable) must not end the test process; kept for a look.
    from.on('error', (err) => this.errors.push(err));
  }
}
