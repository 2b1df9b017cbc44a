/**
 * A synthetic site for fault tests: a real WebSocket that joins over signaling (with a join
 * token, or a secretariat's sign-in cookie for the host hall), opens a send transport and
 * brings it to DTLS `connected` through a MediaLine, so the SFU records the site as present
 * exactly as it does a browser. Notifications are kept with the time they arrived, for
 * deadline checks.
 */
import type { ServerNotification } from '../../sfu/protocol.ts';
import { MediaLine, type DtlsIdentity } from './media-line.ts';
import { TestSocket } from './signaling-client.ts';

export interface Credentials {
  joinToken?: string;
  /** Cookie header of a signed-in secretariat (host hall). */
  cookie?: string;
  meetingId?: string;
}

export class SyntheticSite {
  readonly notes: { note: ServerNotification; at: number }[] = [];
  readonly closed: Promise<{ code: number; at: number }>;
  connectionId = '';
  siteId = '';
  line: MediaLine | undefined;
  #waiters: (() => void)[] = [];

  private constructor(readonly socket: TestSocket) {
    this.closed = socket.closed.then(({ code }) => ({ code, at: Date.now() }));
  }

  /** Connects to `${baseUrl}/ws` with the app's own origin, joins, and connects its media line. */
  static async join(baseUrl: string, credentials: Credentials, identity: DtlsIdentity): Promise<SyntheticSite> {
    let site: SyntheticSite | undefined;
    const socket = await TestSocket.open(new URL(baseUrl).origin, credentials.cookie ? { cookie: credentials.cookie } : {}, (note) => {
      if (site) site.#heard(note);
    });
    site = new SyntheticSite(socket);
    try {
      const joined = await site.ok('join', {
        ...(credentials.joinToken ? { joinToken: credentials.joinToken } : {}),
        ...(credentials.meetingId ? { meetingId: credentials.meetingId } : {}),
        // A synthetic host means to be the console: it takes over one left open, as a secretariat
        // who confirmed the question would.
        ...(credentials.cookie ? { takeOver: true } : {}),
      });
      site.connectionId = joined.connectionId;
      site.siteId = joined.siteId;
      const transport = await site.ok('createTransport', { direction: 'send' });
      await site.ok('connectTransport', { transportId: transport.transportId, dtlsParameters: identity.dtlsParameters });
      site.line = await MediaLine.open(transport, identity);
      await site.line.connected;
      return site;
    } catch (error) {
      site.terminate();
      throw error;
    }
  }

  ok(type: string, data: unknown): Promise<any> {
    return this.socket.ok(type, data);
  }

  #heard(note: ServerNotification): void {
    this.notes.push({ note, at: Date.now() });
    for (const w of this.#waiters.splice(0)) w();
  }

  /** When the first notification of `type` arrived (waits up to `timeoutMs` for it). */
  async noteAt(type: ServerNotification['type'], timeoutMs = 10_000): Promise<number> {
    const find = () => this.notes.find((n) => n.note.type === type);
    const deadline = Date.now() + timeoutMs;
    while (!find()) {
      if (Date.now() > deadline) throw new Error(`no ${type} notification in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return find()!.at;
  }

  count(type: ServerNotification['type']): number {
    return this.notes.filter((n) => n.note.type === type).length;
  }

  /** Drops everything at once, like a site losing power. */
  terminate(): void {
    this.line?.close();
    this.socket.ws.terminate();
  }
}

/** Runs `task` over `items` with at most `limit` in flight (openssl handshakes share two cores). */
export async function inBatches<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
