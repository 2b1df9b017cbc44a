/**
 * A commune's page as the national bench drives it, thousands at once from one process: a real
 * WebSocket to the node the API placed it on, the join with its token, a receive transport and
 * the RTP capabilities (the router's own, as a browser's would match them). It keeps only what
 * the bench measures — which producers it was given a consumer for, whose, and when — and drops
 * every reply once read, so 3,356 of them stay a few megabytes.
 */
import type { IceInfo } from '../support/media-line.ts';
import { TestSocket } from '../support/signaling-client.ts';

const REPLY_TIMEOUT_MS = 60_000;

export interface Given {
  producerId: string;
  /** The site whose producer it is. */
  siteId: string;
  at: number;
}

export class NationalSite {
  siteId = '';
  /** producerId → whose and when: one entry per consumer the site was given. */
  readonly given = new Map<string, Given>();

  private constructor(
    readonly socket: TestSocket,
    readonly nodeId: string,
  ) {}

  /** Connects to its node from the pages' origin, joins, and opens what a page opens to receive. */
  static async join(
    placement: { nodeId: string; signalingUrl: string },
    pagesUrl: string,
    joinToken: string,
    onGiven: (site: NationalSite, given: Given) => void,
  ): Promise<{ site: NationalSite; recv: IceInfo & { transportId: string } }> {
    let site: NationalSite | undefined;
    const socket = await TestSocket.connect(placement.signalingUrl, { origin: pagesUrl }, (note) => {
      if (!site || note.type !== 'newConsumer' || site.given.has(note.data.producerId)) return;
      const given = { producerId: note.data.producerId, siteId: note.data.siteId, at: Date.now() };
      site.given.set(given.producerId, given);
      onGiven(site, given);
    });
    site = new NationalSite(socket, placement.nodeId);
    try {
      const joined = await site.ok('join', { joinToken });
      site.siteId = joined.siteId;
      const recv = await site.ok('createTransport', { direction: 'recv' });
      await site.ok('setRtpCapabilities', { rtpCapabilities: joined.routerRtpCapabilities });
      return { site, recv };
    } catch (error) {
      site.close();
      throw error;
    }
  }

  ok(type: string, data: unknown): Promise<any> {
    return this.socket.ok(type, data, REPLY_TIMEOUT_MS);
  }

  close(): void {
    this.socket.ws.terminate();
  }
}
