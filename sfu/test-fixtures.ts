/**
 * Test fixtures for sfu/*.test.ts: config, RTP parameters a browser would send, an
 * authenticator with real token logic over an in-memory table, an in-memory attendance
 * attendanceSink, and a small WebSocket client. Nothing here replaces mediasoup: tests run real workers.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { WebSocket, type ClientOptions } from 'ws';
import type { AttendanceEvent } from '../db/attendance-event.ts';
import { SfuEnv, sfuConfigFromEnv, type SfuConfig } from './config.ts';
import { forbidden, unauthorized } from './errors.ts';
import type { ClientRequestType, RequestData, ServerMessage, ServerNotification } from './protocol.ts';
import type { AttendanceSink, AuthRequest, SignalingAuthenticator, SiteIdentity } from './signaling.ts';

export const silentLog = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

/**
 * Each test file gets its own ports so files can run in parallel. Keep them below the kernel's
 * ephemeral range (32768+ on Linux), where any outgoing socket could be holding them.
 */
export function testConfig(portBase: number, overrides: Partial<Record<keyof SfuEnv, string>> = {}): SfuConfig {
  const passThrough = ['MEDIASOUP_WORKER_BIN', 'HOINGHI_CACHE_DIR', 'XDG_CACHE_HOME'] as const;
  const env: Record<string, string> = {};
  for (const k of passThrough) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  return sfuConfigFromEnv(
    SfuEnv.parse({
      ...env,
      SFU_WORKERS: '2',
      SFU_WEBRTC_PORT_BASE: String(portBase),
      SFU_RTC_MIN_PORT: String(portBase + 1000),
      SFU_RTC_MAX_PORT: String(portBase + 1299),
      SFU_LOG_LEVEL: 'silent',
      ...overrides,
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// What a browser's mediasoup-client would send
// ---------------------------------------------------------------------------------------------

export function opusParameters(ssrc: number) {
  return {
    codecs: [
      {
        mimeType: 'audio/opus',
        payloadType: 111,
        clockRate: 48000,
        channels: 2,
        parameters: { useinbandfec: 1 },
        rtcpFeedback: [],
      },
    ],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname: `cname-${ssrc}` },
  };
}

/** A camera in simulcast with three spatial layers, as sites publish it. */
export function vp8SimulcastParameters(ssrcBase: number) {
  return {
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: 96,
        clockRate: 90000,
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
      },
    ],
    headerExtensions: [],
    encodings: [
      { ssrc: ssrcBase, scalabilityMode: 'L1T3' },
      { ssrc: ssrcBase + 1, scalabilityMode: 'L1T3' },
      { ssrc: ssrcBase + 2, scalabilityMode: 'L1T3' },
    ],
    rtcp: { cname: `cname-${ssrcBase}` },
  };
}

// ---------------------------------------------------------------------------------------------
// Authenticator with real rules over an in-memory table
// ---------------------------------------------------------------------------------------------

export class TokenTableAuthenticator implements SignalingAuthenticator {
  readonly #tokens = new Map<string, SiteIdentity>();
  readonly #readinessTokens = new Map<string, SiteIdentity>();
  /** session id (cookie `sid`) → host identity, for any meeting listed */
  readonly #hostSessions = new Map<string, { siteId: string; siteName: string; meetings: Set<string>; validUntil: Date }>();

  issueJoinToken(meetingId: string, siteName: string, validForMs = 3_600_000, siteId = randomUUID()) {
    const token = randomUUID();
    this.#tokens.set(token, { meetingId, siteId, siteName, role: 'participant', validUntil: new Date(Date.now() + validForMs) });
    return { token, siteId };
  }

  /** A host's sign-in for the meeting; pass `siteId` to sign in a second console of the same hall. */
  issueHostSession(meetingId: string, siteName = 'Văn phòng UBND tỉnh', siteId: string = randomUUID()) {
    const sid = randomUUID();
    this.#hostSessions.set(sid, { siteId, siteName, meetings: new Set([meetingId]), validUntil: new Date(Date.now() + 3_600_000) });
    return { cookie: `sid=${sid}; theme=light`, siteId };
  }

  /** A readiness token (the device check's credential) for a site already given a join token. */
  issueReadinessToken(meetingId: string, siteId: string, siteName: string, validForMs = 3_600_000) {
    const token = randomUUID();
    this.#readinessTokens.set(token, { meetingId, siteId, siteName, role: 'participant', validUntil: new Date(Date.now() + validForMs) });
    return token;
  }

  revoke(token: string): void {
    this.#tokens.delete(token);
    this.#readinessTokens.delete(token);
  }

  async authenticateRehearsal(readinessToken: string): Promise<SiteIdentity> {
    const id = this.#readinessTokens.get(readinessToken);
    if (!id) throw unauthorized('unknown readiness token');
    return id;
  }

  async authenticate(req: AuthRequest): Promise<SiteIdentity> {
    if (req.joinToken !== undefined) {
      const id = this.#tokens.get(req.joinToken);
      if (!id) throw unauthorized('unknown join token');
      if (id.validUntil.getTime() <= Date.now()) throw unauthorized('join token expired');
      if (req.meetingId !== undefined && req.meetingId !== id.meetingId) throw forbidden('token is for another meeting');
      return id;
    }
    const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.cookieHeader ?? '')?.[1];
    const host = sid ? this.#hostSessions.get(sid) : undefined;
    if (!host) throw unauthorized('no session');
    if (!req.meetingId) throw forbidden('which meeting?');
    if (!host.meetings.has(req.meetingId)) throw forbidden('not the host of this meeting');
    return { meetingId: req.meetingId, siteId: host.siteId, siteName: host.siteName, role: 'host', validUntil: host.validUntil };
  }
}

/** Stores events like the database does: de-duplicated by eventId. */
export class MemoryAttendanceSink implements AttendanceSink {
  readonly events: AttendanceEvent[] = [];
  failNext = 0;
  async record(event: AttendanceEvent): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('storage unavailable');
    }
    if (!this.events.some((e) => e.eventId === event.eventId)) this.events.push(event);
  }
}

// ---------------------------------------------------------------------------------------------
// A WebSocket client speaking the protocol
// ---------------------------------------------------------------------------------------------

export type Response = Extract<ServerMessage, { type: 'response' }>;

export class TestClient {
  readonly notes: ServerNotification[] = [];
  readonly responses: Response[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #nextId = 1;
  #waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as ServerMessage;
      if (msg.type === 'response') this.responses.push(msg);
      else this.notes.push(msg);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async connect(url: string, opts: ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, opts);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestClient(ws);
  }

  /** Sends a raw frame and waits for the next response. */
  async raw(frame: string | Buffer, binary = false): Promise<Response> {
    const before = this.responses.length;
    this.ws.send(frame, { binary });
    await this.#until(() => this.responses.length > before);
    return this.responses[before]!;
  }

  async request<T extends ClientRequestType>(type: T, data: RequestData<T>): Promise<Response> {
    const id = this.#nextId++;
    this.ws.send(JSON.stringify({ id, type, data }));
    await this.#until(() => this.responses.some((r) => r.id === id));
    return this.responses.find((r) => r.id === id)!;
  }

  /** Like request, but fails the test unless the reply is ok; returns its data. */
  async ok<T extends ClientRequestType>(type: T, data: RequestData<T>): Promise<any> {
    const res = await this.request(type, data);
    if (!res.ok) throw new Error(`${type} failed: ${res.error.code} ${res.error.message}`);
    return res.data;
  }

  async note<T extends ServerNotification['type']>(
    type: T,
    pred: (n: Extract<ServerNotification, { type: T }>) => boolean = () => true,
  ): Promise<Extract<ServerNotification, { type: T }>> {
    const find = () => this.notes.find((n) => n.type === type && pred(n as Extract<ServerNotification, { type: T }>));
    await this.#until(() => find() !== undefined);
    return find() as Extract<ServerNotification, { type: T }>;
  }

  close(): void {
    this.ws.close(1000);
  }

  #until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for the server')), timeoutMs);
      const check = () => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }
}

export async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `ws://127.0.0.1:${port}/ws`;
}

/** Polls `cond` until it holds (for effects that have no event to await). */
export async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
