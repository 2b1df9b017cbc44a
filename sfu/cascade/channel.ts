/**
 * The authenticated control channel between two SFU nodes: a WebSocket at `/cascade` on the
 * node's HTTP port, opened by the edge, carrying the typed frames of protocol.ts.
 *
 * Why a WebSocket and not LISTEN/NOTIFY: the control flow is per meeting and per pair of nodes
 * (a link request that needs an answer, producers that must arrive before the media does, a
 * closed socket that says at once that the other node is gone), which a point-to-point socket
 * gives directly; it reuses the node's port and the `ws` library the signaling already uses.
 *
 * Authentication: every node holds the same secret (SFU_CASCADE_SECRET). The opening request
 * carries the node id, the time and an HMAC-SHA256 of both under the secret; the origin accepts
 * it within ±30 s of its clock, once (a replayed signature is refused), and compares in
 * constant time. Without a configured secret a node refuses every cascade upgrade. The channel
 * carries no media keys in the clear on a public network only if it runs over wss:// (the
 * node's SFU_NODE_URL scheme decides); the pipe's SRTP keys travel on it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import type { z } from 'zod';
import { CascadeCloseCode } from './protocol.ts';

export const CASCADE_PATH = '/cascade';
const SIGNATURE_WINDOW_MS = 30_000;
const MAX_FRAME_BYTES = 1024 * 1024;
/** A silent peer is dropped after this (a killed node's socket may linger without a FIN). */
const PING_MS = 2000;
/**
 * Silence (no pong, no frame) this long ends the link. A dead node's socket closes at once; this
 * is for a peer that is unreachable. It is several pings long because a busy node's event loop
 * stalls for seconds (giving ~900 sites a new floor on a loaded machine did, in bench:national,
 * and a 2 s limit cut the link and took the host's media away from every site of that edge).
 */
const SILENT_LIMIT_MS = 10_000;

export interface Liveness {
  pingMs: number;
  silentLimitMs: number;
}
const LIVENESS: Liveness = { pingMs: PING_MS, silentLimitMs: SILENT_LIMIT_MS };

const NODE_HEADER = 'x-hoinghi-node';
const TIME_HEADER = 'x-hoinghi-time';
const SIGNATURE_HEADER = 'x-hoinghi-signature';

function sign(secret: string, nodeId: string, at: string): string {
  return createHmac('sha256', secret).update(`hoinghi-cascade\n${nodeId}\n${at}`).digest('hex');
}

/** The headers an edge opens the channel with. */
export function signedHeaders(secret: string, nodeId: string, now = Date.now()): Record<string, string> {
  const at = String(now);
  return { [NODE_HEADER]: nodeId, [TIME_HEADER]: at, [SIGNATURE_HEADER]: sign(secret, nodeId, at) };
}

/** Checks an opening request's signature; remembers accepted signatures so none is used twice. */
export class CascadeGate {
  readonly #seen = new Map<string, number>();

  constructor(private readonly secret: string | undefined) {}

  /** The calling node's id, or undefined when the request is not signed by a node of ours. */
  admit(req: IncomingMessage, now = Date.now()): string | undefined {
    if (!this.secret) return undefined;
    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const nodeId = header(NODE_HEADER);
    const at = header(TIME_HEADER);
    const signature = header(SIGNATURE_HEADER);
    if (!nodeId || !at || !signature || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(nodeId) || !/^\d{1,15}$/.test(at) || !/^[0-9a-f]{64}$/.test(signature)) {
      return undefined;
    }
    if (Math.abs(now - Number(at)) > SIGNATURE_WINDOW_MS) return undefined;
    const expected = Buffer.from(sign(this.secret, nodeId, at), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return undefined;
    for (const [s, until] of this.#seen) if (until < now) this.#seen.delete(s);
    if (this.#seen.has(signature)) return undefined;
    this.#seen.set(signature, now + 2 * SIGNATURE_WINDOW_MS);
    return nodeId;
  }
}

/**
 * One end of a cascade socket: frames in are parsed with `incoming` (anything else closes the
 * socket with 4400), frames out are JSON. `closed` resolves once, however the socket ends.
 */
export class CascadeChannel<In extends { type: string }, Out extends { type: string }> {
  readonly closed: Promise<void>;
  #onFrame: (frame: In) => void = () => {};
  #heardAt = Date.now();
  readonly #ping: NodeJS.Timeout;

  constructor(
    readonly ws: WebSocket,
    private readonly incoming: z.ZodType<In>,
    private readonly log: Logger,
    liveness: Liveness = LIVENESS,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('error', (err) => this.log.warn({ err }, 'cascade socket error'));
    ws.on('pong', () => (this.#heardAt = Date.now()));
    ws.on('message', (raw, isBinary) => this.#receive(raw, isBinary));
    this.#ping = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.ping();
      // After the I/O of this turn: when this process was the one stalled, the pongs that
      // arrived meanwhile are read before the silence is judged.
      setImmediate(() => {
        if (Date.now() - this.#heardAt > liveness.silentLimitMs) {
          this.log.warn({ silentMs: Date.now() - this.#heardAt }, 'cascade peer silent: link ended');
          ws.terminate();
        }
      });
    }, liveness.pingMs);
    this.#ping.unref();
    void this.closed.then(() => clearInterval(this.#ping));
  }

  /** Opens a channel to `url` (ws(s)://node/cascade) as `nodeId`. Rejects if refused or unreachable. */
  static async open<In extends { type: string }, Out extends { type: string }>(opts: {
    url: string;
    nodeId: string;
    secret: string;
    incoming: z.ZodType<In>;
    log: Logger;
    timeoutMs?: number;
  }): Promise<CascadeChannel<In, Out>> {
    const ws = new WebSocket(opts.url, {
      headers: signedHeaders(opts.secret, opts.nodeId),
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: opts.timeoutMs ?? 5000,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`cascade refused: HTTP ${res.statusCode}`));
        ws.terminate();
      });
    });
    return new CascadeChannel<In, Out>(ws, opts.incoming, opts.log);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  onFrame(handler: (frame: In) => void): void {
    this.#onFrame = handler;
  }

  send(frame: Out): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  close(code: number = CascadeCloseCode.shutdown, reason = ''): void {
    clearInterval(this.#ping);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  #receive(raw: WebSocket.RawData, isBinary: boolean): void {
    this.#heardAt = Date.now();
    let parsed: unknown;
    try {
      parsed = isBinary ? undefined : JSON.parse(String(raw));
    } catch {
      parsed = undefined;
    }
    const frame = this.incoming.safeParse(parsed);
    if (!frame.success) {
      this.log.warn({ issues: frame.error?.issues.slice(0, 3) }, 'cascade frame refused');
      this.close(CascadeCloseCode.protocolError, 'bad frame');
      return;
    }
    try {
      this.#onFrame(frame.data);
    } catch (err) {
      this.log.error({ err, type: frame.data.type }, 'cascade frame failed');
    }
  }
}

export const CASCADE_MAX_FRAME_BYTES = MAX_FRAME_BYTES;
