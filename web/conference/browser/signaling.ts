/**
 * The browser's end of the signaling protocol (sfu/protocol.ts): one WebSocket to `/ws`.
 *
 * It numbers requests, matches replies by id, parses each reply's data with the schema of the
 * request it answers, and fails a request that gets no answer in time. Every incoming frame is
 * validated against the protocol before anyone sees it. It also sends `ping` requests as a
 * heartbeat: a server that stops answering is treated like a closed socket (the browser
 * answers the server's own WebSocket pings by itself), and the round trips give the line's RTT.
 *
 * One client is one socket: it does not reconnect. The meeting client (meeting-client.ts) decides when to
 * open a new one, because a new socket means joining again.
 */
import {
  ResponseData,
  ServerMessage,
  type ClientRequestType,
  type ErrorCode,
  type RequestData,
  type ResponseDataOf,
  type ServerNotification,
} from '../../../sfu/protocol.ts';

/** Why a request failed: the server's typed error, or ours (no answer, socket gone, bad reply). */
export type RequestFailure = ErrorCode | 'timeout' | 'closed' | 'bad-reply';

export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly code: RequestFailure,
    message: string,
    readonly requestType: ClientRequestType,
  ) {
    super(`${requestType}: ${code}: ${message}`);
  }
}

export interface SocketEnd {
  /** The WebSocket close code; 4000 when our heartbeat gave up on a silent server. */
  code: number;
  reason: string;
}

export interface SignalingOptions {
  onNotification(note: ServerNotification): void;
  /** The socket ended, whoever ended it. Called once; not called after our own close(). */
  onClose(end: SocketEnd): void;
  /** A frame the protocol does not allow: the page reports it, the client drops it. */
  onProtocolError?(detail: string): void;
  requestTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

/** Application close codes we send (the protocol's are 4400+). */
export const ClientCloseCode = {
  /** We are reconnecting after a failure: the server should count it as a network drop. */
  reconnecting: 4000,
  heartbeatLost: 4001,
} as const;

const CONNECT_TIMEOUT_MS = 10_000;

interface Pending {
  type: ClientRequestType;
  resolve(data: unknown): void;
  reject(err: RequestError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class SignalingClient {
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #ended = false;
  /** Smoothed round trip of the heartbeat, in ms; undefined until the first reply. */
  #rttMs: number | undefined;

  private constructor(
    private readonly ws: WebSocket,
    private readonly opts: SignalingOptions,
  ) {
    ws.addEventListener('message', (ev) => this.#onMessage(ev.data));
    ws.addEventListener('close', (ev) => this.#end({ code: ev.code, reason: ev.reason }, true));
    const interval = opts.heartbeatIntervalMs ?? 5_000;
    this.#heartbeat = setInterval(() => void this.#beat(), interval);
  }

  /** Opens the socket; rejects if it cannot be opened. */
  static connect(url: string, opts: SignalingOptions): Promise<SignalingClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(() => {
        ws.close();
        reject(new Error('signaling connection timed out'));
      }, CONNECT_TIMEOUT_MS);
      ws.addEventListener(
        'open',
        () => {
          clearTimeout(timer);
          resolve(new SignalingClient(ws, opts));
        },
        { once: true },
      );
      ws.addEventListener(
        'close',
        (ev) => {
          clearTimeout(timer);
          reject(new Error(`signaling connection refused (${ev.code})`));
        },
        { once: true },
      );
    });
  }

  get rttMs(): number | undefined {
    return this.#rttMs;
  }

  get open(): boolean {
    return !this.#ended && this.ws.readyState === WebSocket.OPEN;
  }

  request<T extends ClientRequestType>(type: T, data: RequestData<T>, timeoutMs?: number): Promise<ResponseDataOf<T>> {
    if (!this.open) return Promise.reject(new RequestError('closed', 'not connected', type));
    const id = this.#nextId++;
    return new Promise<ResponseDataOf<T>>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.#pending.delete(id);
          reject(new RequestError('timeout', 'no answer from the server', type));
        },
        timeoutMs ?? this.opts.requestTimeoutMs ?? 10_000,
      );
      this.#pending.set(id, { type, resolve: resolve as (d: unknown) => void, reject, timer });
      this.ws.send(JSON.stringify({ id, type, data }));
    });
  }

  /** One measured round trip (the pre-join connection test). */
  async measureRtt(): Promise<number> {
    const start = performance.now();
    await this.request('ping', {});
    const rtt = performance.now() - start;
    this.#rttMs = this.#rttMs === undefined ? rtt : 0.8 * this.#rttMs + 0.2 * rtt;
    return rtt;
  }

  /** Ends the socket without reporting it through onClose (the caller knows). */
  close(code = 1000, reason = ''): void {
    this.#end({ code, reason }, false);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  async #beat(): Promise<void> {
    if (!this.open) return;
    try {
      await this.measureRtt();
    } catch (err) {
      if (err instanceof RequestError && err.code === 'timeout' && this.open) {
        const end = { code: ClientCloseCode.heartbeatLost, reason: 'server silent' };
        this.ws.close(end.code, end.reason);
        this.#end(end, true);
      }
    }
  }

  #onMessage(raw: unknown): void {
    if (this.#ended) return;
    if (typeof raw !== 'string') return this.opts.onProtocolError?.('binary frame');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return this.opts.onProtocolError?.('frame is not JSON');
    }
    const parsed = ServerMessage.safeParse(json);
    if (!parsed.success) return this.opts.onProtocolError?.(`unexpected frame: ${parsed.error.message.slice(0, 300)}`);
    const msg = parsed.data;
    if (msg.type !== 'response') return this.opts.onNotification(msg);
    if (msg.id === null || typeof msg.id !== 'number') {
      // An error the server could not tie to a request: one of ours was malformed.
      if (!msg.ok) this.opts.onProtocolError?.(`server refused a frame: ${msg.error.code}`);
      return;
    }
    const pending = this.#pending.get(msg.id);
    if (!pending) return; // answered after its timeout
    this.#pending.delete(msg.id);
    clearTimeout(pending.timer);
    if (!msg.ok) return pending.reject(new RequestError(msg.error.code, msg.error.message, pending.type));
    const data = ResponseData[pending.type].safeParse(msg.data);
    if (!data.success) return pending.reject(new RequestError('bad-reply', 'reply does not match the protocol', pending.type));
    pending.resolve(data.data);
  }

  #end(end: SocketEnd, report: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#heartbeat);
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError('closed', 'connection closed', p.type));
      this.#pending.delete(id);
    }
    if (report) this.opts.onClose(end);
  }
}
