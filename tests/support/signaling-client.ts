/**
 * Test support: a signaling client over a real WebSocket, speaking the `{ id, type, data }`
 * protocol of sfu/protocol.ts, for tests that join meetings the way a browser does.
 */
import WebSocket from 'ws';

export type Reply = { type: 'response'; id: number | null; ok: boolean; data?: any; error?: { code: string; message: string } };

export class TestSocket {
  private nextId = 1;
  private readonly replies = new Map<number, (reply: Reply) => void>();
  readonly closed: Promise<{ code: number }>;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as Reply;
      if (frame.type === 'response' && typeof frame.id === 'number') this.replies.get(frame.id)?.(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  }
  static async open(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers: { origin: url, ...headers } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestSocket(ws);
  }
  request(type: string, data: unknown): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.ws.send(JSON.stringify({ id, type, data }));
    });
  }
}

/** Resolves with the close code, or null if the socket is still open after `ms`. */
export function closedWithin(socket: TestSocket, ms: number): Promise<{ code: number } | null> {
  return Promise.race([socket.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
}
