/**
 * Attendance reporting: turns what the SFU observes about a connection into AttendanceEvents
 * (db/attendance-event.ts) and hands them to the app's attendance sink.
 *
 * Event ids are derived from the fact they describe (connection + kind + sequence), so a retry
 * or a replay of the same fact de-duplicates in storage; that is also what makes retrying a
 * failed `record` safe. A connection's events are delivered in order, and a `leave` is
 * reported only for a connection whose `join` was (an open interval must be closed exactly once).
 */
import type { Logger } from 'pino';
import type { AttendanceEvent, LeaveCause } from '../db/attendance-event.ts';
import type { QualitySample } from './peer.ts';

/** Implemented by the app: persist one event. Must be idempotent on `eventId`. */
export interface AttendanceSink {
  record(event: AttendanceEvent): Promise<void>;
}

export interface ConnectionRef {
  connectionId: string;
  meetingId: string;
  siteId: string;
}

/**
 * Waits between attempts to record an event; the last one repeats until RETRY_BUDGET_MS has
 * passed since the first attempt. A PostgreSQL restart with crash recovery takes seconds to a
 * minute, and every event of that time must wait it out (tests/faults/postgres-crash.test.ts);
 * the three tries over 6 s used before gave up on them.
 */
const RETRY_DELAYS_MS = [200, 1000, 2000, 5000];
const RETRY_BUDGET_MS = 120_000;

export class AttendanceReporter {
  readonly #open = new Map<string, ConnectionRef>();
  readonly #qualitySeq = new Map<string, number>();
  readonly #chains = new Map<string, Promise<void>>();

  constructor(
    private readonly attendanceSink: AttendanceSink,
    private readonly log: Logger,
    /** This node's id, carried by join events (api/nodes/dead-node-attendance.ts). */
    private readonly nodeId?: string,
  ) {}

  /** Connections with an open attendance interval. */
  isOpen(connectionId: string): boolean {
    return this.#open.has(connectionId);
  }

  joined(c: ConnectionRef): void {
    if (this.#open.has(c.connectionId)) return;
    this.#open.set(c.connectionId, c);
    this.#emit(c.connectionId, {
      kind: 'join',
      eventId: `j:${c.connectionId}`,
      ...this.#base(c),
      connectionId: c.connectionId,
      ...(this.nodeId ? { nodeId: this.nodeId } : {}),
    });
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
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.attendanceSink.record(event);
        return;
      } catch (err) {
        const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]!;
        if (Date.now() + delay - started > RETRY_BUDGET_MS) {
          this.log.error({ err, event, attempts: attempt + 1 }, 'attendance event lost after retries');
          return;
        }
        // During an outage every pending event retries: one warning per event, not per attempt.
        const level = attempt === 0 ? 'warn' : 'debug';
        this.log[level]({ err, eventId: event.eventId, attempt: attempt + 1, retryInMs: delay }, 'attendance record failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
