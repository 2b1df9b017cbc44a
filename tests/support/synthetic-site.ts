/**
 * A synthetic site for fault tests: a real WebSocket that joins over signaling (with a join
 * token, or a secretariat's sign-in cookie for the host hall), opens a send transport and
 * brings it to DTLS `connected` through a MediaLine, so the SFU records the site as present
 * exactly as it does a browser. Notifications are kept with the time they arrived, for
 * deadline checks.
 */
import { WebSocket } from 'ws';
import type { ServerMessage, ServerNotification } from '../../sfu/protocol.ts';
import { MediaLine, type DtlsIdentity } from './media-line.ts';

type Reply = Extract<ServerMessage, { type: 'response' }>;

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
  #nextId = 1;
  readonly #replies = new Map<number, (reply: Reply) => void>();
  #waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as ServerMessage;
      if (msg.type === 'response') {
        if (typeof msg.id === 'number') this.#replies.get(msg.id)?.(msg);
      } else {
        this.notes.push({ note: msg, at: Date.now() });
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code, at: Date.now() })));
  }

  /** Connects to `${baseUrl}/ws` with the app's own origin, joins, and connects its media line. */
  static async join(baseUrl: string, credentials: Credentials, identity: DtlsIdentity): Promise<SyntheticSite> {
    const headers: Record<string, string> = { origin: new URL(baseUrl).origin };
    if (credentials.cookie) headers.cookie = credentials.cookie;
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const site = new SyntheticSite(ws);
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

  async ok(type: string, data: unknown): Promise<any> {
    const id = this.#nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${type}: no reply in 15 s`)), 15_000);
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
    this.ws.terminate();
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
