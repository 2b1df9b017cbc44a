/**
 * The address the SFU announces to browsers in its ICE candidates (SFU_ANNOUNCED_ADDRESS).
 *
 * The variable may be a DNS name, but a name must never reach a browser: Firefox drops a
 * remote candidate whose address is not an IP literal, and then has no media at all. So a name
 * is resolved here at start-up (no answer: the server refuses to start, saying why) and again
 * every `refreshMs`, and every candidate handed to a browser carries the latest answer. A
 * failed refresh keeps the last good address and logs a warning: a DNS hiccup must not take
 * the meeting's media down. The mediasoup workers are given the first answer; candidates are
 * rewritten at reply time, so a changed answer needs no worker restart.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';

export type Resolve = (name: string) => Promise<string>;

/** IPv4 first: the sites' networks are IPv4, and an IPv6-only candidate would leave them without media. */
const resolveName: Resolve = async (name) => (await lookup(name, { family: 0, order: 'ipv4first' })).address;

/** Keeps only what the browser needs of a candidate to be rewritten. */
interface Candidate {
  ip: string;
  address?: string;
}

export class AnnouncedAddress {
  #current: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    /** As configured: an IP, a name, or nothing (the listen IP is announced). */
    readonly configured: string | undefined,
    initial: string | undefined,
  ) {
    this.#current = initial;
  }

  /** Resolves a configured name (throws if it does not resolve) and starts the refresh timer. */
  static async start(configured: string | undefined, opts: { refreshMs: number; log: Logger; resolve?: Resolve }): Promise<AnnouncedAddress> {
    if (!configured || isIP(configured)) return new AnnouncedAddress(configured, configured);
    const resolve = opts.resolve ?? resolveName;
    let first: string;
    try {
      first = await resolve(configured);
    } catch (err) {
      throw new Error(`SFU_ANNOUNCED_ADDRESS ${configured} does not resolve to an IP address: ${(err as Error).message}`);
    }
    const announced = new AnnouncedAddress(configured, first);
    const log = opts.log.child({ component: 'announced-address', name: configured });
    log.info({ address: first }, 'announced address resolved');
    announced.#timer = setInterval(() => {
      resolve(configured).then(
        (address) => {
          if (address !== announced.#current) log.warn({ previous: announced.#current, address }, 'announced address changed');
          announced.#current = address;
        },
        (err: unknown) => log.warn({ err, kept: announced.#current }, 'announced address did not resolve; keeping the last one'),
      );
    }, opts.refreshMs);
    // a timer for the server's life, not a reason to keep the process up
    announced.#timer.unref();
    return announced;
  }

  /** The IP to announce now; undefined when none is configured. */
  get current(): string | undefined {
    return this.#current;
  }

  /** The candidates as a browser should get them: with the current IP in place of whatever was announced. */
  rewrite<C extends Candidate>(candidates: readonly C[]): C[] {
    const ip = this.#current;
    if (!ip) return [...candidates];
    return candidates.map((c) => ({ ...c, ip, ...('address' in c ? { address: ip } : {}) }));
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
