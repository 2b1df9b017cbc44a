/**
 * A commune's page as the national bench drives it, thousands at once from one process: a real
 * WebSocket to the node the API placed it on, the join with its token, a receive transport and
 * the RTP capabilities (the router's own, as a browser's would match them). It keeps only what
 * the bench measures — which producers it was given a consumer for, whose, and when — and drops
 * every reply once read, so 3,356 of them stay a few megabytes.
 */
import { WebSocket } from 'ws';
import type { ServerMessage } from '../../sfu/protocol.ts';
import type { IceInfo } from '../support/media-line.ts';

type Reply = Extract<ServerMessage, { type: 'response' }>;
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
  #nextId = 1;
  readonly #replies = new Map<number, (reply: Reply) => void>();

  private constructor(
    readonly ws: WebSocket,
    readonly nodeId: string,
    onGiven: (site: NationalSite, given: Given) => void,
  ) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as ServerMessage;
      if (msg.type === 'response') {
        if (typeof msg.id === 'number') this.#replies.get(msg.id)?.(msg);
      } else if (msg.type === 'newConsumer' && !this.given.has(msg.data.producerId)) {
        const given = { producerId: msg.data.producerId, siteId: msg.data.siteId, at: Date.now() };
        this.given.set(given.producerId, given);
        onGiven(this, given);
      }
    });
  }

  /** Connects to its node from the pages' origin, joins, and opens what a page opens to receive. */
  static async join(
    placement: { nodeId: string; signalingUrl: string },
    pagesUrl: string,
    joinToken: string,
    onGiven: (site: NationalSite, given: Given) => void,
  ): Promise<{ site: NationalSite; recv: IceInfo & { transportId: string } }> {
    const ws = new WebSocket(placement.signalingUrl, { headers: { origin: pagesUrl } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const site = new NationalSite(ws, placement.nodeId, onGiven);
    try {
      const joined = await site.ok('join', { joinToken });
      site.siteId = joined.siteId;
      const recv = await site.ok('createTransport', { direction: 'recv' });
      await site.ok('setRtpCapabilities', { rtpCapabilities: joined.routerRtpCapabilities });
      return { site, recv };
    } catch (error) {
      ws.terminate();
      throw error;
    }
  }

  async ok(type: string, data: unknown): Promise<any> {
    const id = this.#nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${type}: no reply in ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
      this.#replies.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.ws.send(JSON.stringify({ id, type, data }));
    });
    this.#replies.delete(id);
    if (!reply.ok) throw new Error(`${type} refused: ${reply.error.code} ${reply.error.message}`);
    return reply.data;
  }

  close(): void {
    this.ws.terminate();
  }
}
