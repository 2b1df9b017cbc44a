/**
 * Test support: a signaling client over a real WebSocket, speaking the `{ id, type, data }`
 * protocol of sfu/protocol.ts, for tests that join meetings the way a browser does. The
 * synthetic sites of the fault tests (synthetic-site.ts) and of bench:national
 * (tests/bench/national-site.ts) talk through it too.
 */
import WebSocket from 'ws';
import type { ServerNotification } from '../../sfu/protocol.ts';

export type Reply = { type: 'response'; id: number | null; ok: boolean; data?: any; error?: { code: string; message: string } };

export class TestSocket {
  private nextId = 1;
  private readonly replies = new Map<number, (reply: Reply) => void>();
  readonly closed: Promise<{ code: number }>;
  /** `onNotification` hears every frame that is not a reply, in order. */
  constructor(
    readonly ws: WebSocket,
    onNotification?: (note: ServerNotification) => void,
  ) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as Reply | ServerNotification;
      if (frame.type === 'response') {
        if (typeof frame.id === 'number') this.replies.get(frame.id)?.(frame);
      } else onNotification?.(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  }

  /** Opens `${url}/ws` with `url` (the app's address) as the origin. */
  static open(url: string, headers: Record<string, string> = {}, onNotification?: (note: ServerNotification) => void): Promise<TestSocket> {
    return TestSocket.connect(`${url.replace(/^http/, 'ws')}/ws`, { origin: url, ...headers }, onNotification);
  }

  /** Opens a signaling URL as given (a node's own, from placement); `headers` carry the origin. */
  static async connect(signalingUrl: string, headers: Record<string, string>, onNotification?: (note: ServerNotification) => void): Promise<TestSocket> {
    const ws = new WebSocket(signalingUrl, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestSocket(ws, onNotification);
  }

  request(type: string, data: unknown): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.replies.set(id, (reply) => {
        this.replies.delete(id);
        resolve(reply);
      });
      this.ws.send(JSON.stringify({ id, type, data }));
    });
  }

  /** The reply's data; throws when refused, or when no reply comes within `timeoutMs`. */
  async ok(type: string, data: unknown, timeoutMs = 15_000): Promise<any> {
    let timer: NodeJS.Timeout | undefined;
    const unanswered = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${type}: no reply in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const reply = await Promise.race([this.request(type, data), unanswered]);
      if (!reply.ok) throw new Error(`${type} refused: ${reply.error?.code} ${reply.error?.message}`);
      return reply.data;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Resolves with the close code, or null if the socket is still open after `ms`. */
export function closedWithin(socket: TestSocket, ms: number): Promise<{ code: number } | null> {
  return Promise.race([socket.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
}
