/**
 * Attendance reporting: turns what the SFU observes about a connection into AttendanceEvents
 * (db/attendance-event.ts) and hands them to the app's recorder.
 *
 * Event ids are derived from the fact they describe (connection + kind + sequence), so a retry
 * or a replay of the same fact de-duplicates in storage; that is also what makes retrying a
 * failed `record` safe. A connection's events are delivered in order, and a `leave` is
 * reported only for a connection whose `join` was (an open interval must be closed exactly once).
 */
import type { Logger } from 'pino';
import type { AttendanceEvent, LeaveCause } from '../db/attendance-event.js';
import type { QualitySample } from './peer.js';

/** Implemented by the app: persist one event. Must be idempotent on `eventId`. */
export interface AttendanceRecorder {
  record(event: AttendanceEvent): Promise<void>;
}

export interface ConnectionRef {
  connectionId: string;
  meetingId: string;
  siteId: string;
}

const RETRY_DELAYS_MS = [200, 1000, 5000];

export class AttendanceReporter {
  readonly #open = new Map<string, ConnectionRef>();
  readonly #qualitySeq = new Map<string, number>();
  readonly #chains = new Map<string, Promise<void>>();

  constructor(
    private readonly recorder: AttendanceRecorder,
    private readonly log: Logger,
  ) {}

  /** Connections with an open attendance interval. */
  isOpen(connectionId: string): boolean {
    return this.#open.has(connectionId);
  }

  joined(c: ConnectionRef): void {
    if (this.#open.has(c.connectionId)) return;
    this.#open.set(c.connectionId, c);
    this.#emit(c.connectionId, { kind: 'join', eventId: `j:${c.connectionId}`, ...this.#base(c), connectionId: c.connectionId });
  }

  left(connectionId: string, cause: LeaveCause): void {
    const c = this.#open.get(connectionId);
    if (!c) return;
    this.#open.delete(connectionId);
    this.#qualitySeq.delete(connectionId);
    this.#emit(connectionId, { kind: 'leave', eventId: `l:${connectionId}`, ...this.#base(c), connectionId, cause });
  }

  quality(connectionId: string, sample: QualitySample): void {
    const c = this.#open.get(connectionId);
    if (!c) return;
    const seq = (this.#qualitySeq.get(connectionId) ?? 0) + 1;
    this.#qualitySeq.set(connectionId, seq);
    const round = (n: number) => Math.round(n * 100) / 100;
    this.#emit(connectionId, {
      kind: 'quality',
      eventId: `q:${connectionId}:${seq}`,
      ...this.#base(c),
      connectionId,
      bitrateKbps: round(Math.max(0, sample.bitrateKbps)),
      lossPercent: round(Math.min(100, Math.max(0, sample.lossPercent))),
      rttMs: round(Math.max(0, sample.rttMs)),
      jitterMs: round(Math.max(0, sample.jitterMs)),
    });
  }

  floor(kind: 'floor-given' | 'floor-taken', meetingId: string, siteId: string, eventId: string): void {
    this.#emit(`floor:${meetingId}`, { kind, eventId, meetingId, siteId, at: new Date() });
  }

  /** Every event handed over so far has been recorded (or given up on). */
  async flush(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  #base(c: ConnectionRef) {
    return { meetingId: c.meetingId, siteId: c.siteId, at: new Date() };
  }

  #emit(chainKey: string, event: AttendanceEvent): void {
    const prior = this.#chains.get(chainKey) ?? Promise.resolve();
    const next = prior.then(() => this.#deliver(event));
    this.#chains.set(chainKey, next);
    void next.then(() => {
      if (this.#chains.get(chainKey) === next) this.#chains.delete(chainKey);
    });
  }

  async #deliver(event: AttendanceEvent): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.recorder.record(event);
        return;
      } catch (err) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) {
          this.log.error({ err, event }, 'attendance event lost after retries');
          return;
        }
        this.log.warn({ err, eventId: event.eventId, retryInMs: delay }, 'attendance record failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
