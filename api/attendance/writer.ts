/**
 * The writer the SFU hands its attendance events to (it implements the SFU's
 * `AttendanceSink`: `record(event): Promise<void>`).
 *
 * A national meeting opens ~3,355 connections within a minute and samples each line every few
 * seconds, so one INSERT per event would keep the database busy with round trips. Events are
 * buffered for a few milliseconds and written in one batch; each `record` promise settles when
 * its own event is stored (or refused), so the SFU's retry-on-failure stays meaningful.
 *
 * A batch fails as a whole when one event in it refers to an unknown meeting or site (storage
 * is all-or-nothing per call). Such a batch is retried event by event, so one bad event cannot
 * make the SFU retry (and the log blame) its neighbours. Other failures (database down) reject
 * the whole batch: the SFU retries and the writes are idempotent.
 */
import type { AttendanceEvent } from '../../db/attendance-event.ts';
import type { AppContext } from '../context.ts';
import { DomainError } from '../errors.ts';
import { recordAttendanceEvents } from './store.ts';

export interface AttendanceWriter {
  /** Resolves once the event is stored (a replay of a stored event resolves too). */
  record(event: AttendanceEvent): Promise<void>;
  /** Writes what is buffered and waits for every write in progress. */
  flush(): Promise<void>;
  /** Flushes, then refuses new events. Idempotent. */
  close(): Promise<void>;
}

export interface AttendanceWriterOptions {
  /** How long an event may wait for companions before its batch is written. */
  flushDelayMs?: number;
  /** A batch this large is written at once. */
  maxBatch?: number;
}

interface Pending {
  event: AttendanceEvent;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class AttendanceWriterClosedError extends Error {
  override name = 'AttendanceWriterClosedError';
  constructor() {
    super('The attendance writer is closed');
  }
}

export function createAttendanceWriter(ctx: Pick<AppContext, 'db' | 'logger'>, options: AttendanceWriterOptions = {}): AttendanceWriter {
  const flushDelayMs = options.flushDelayMs ?? 20;
  const maxBatch = options.maxBatch ?? 500;
  const log = ctx.logger.child({ component: 'attendance-writer' });
  let buffer: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  const writing = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;

  const writeBatch = async (batch: Pending[]): Promise<void> => {
    try {
      await recordAttendanceEvents(
        ctx.db,
        batch.map((p) => p.event),
      );
      for (const p of batch) p.resolve();
    } catch (error) {
      if (error instanceof DomainError && batch.length > 1) {
        // Find the culprits; their neighbours are stored one by one.
        await Promise.all(batch.map((p) => writeBatch([p])));
        return;
      }
      const first = batch[0]!.event;
      const fields = { err: error, events: batch.length, meetingId: first.meetingId, firstEventId: first.eventId };
      if (error instanceof DomainError) log.warn(fields, 'attendance event refused');
      else log.error(fields, 'attendance batch not written');
      for (const p of batch) p.reject(error);
    }
  };

  const startWrite = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    const write = writeBatch(batch);
    writing.add(write);
    void write.finally(() => writing.delete(write));
  };

  const flush = async (): Promise<void> => {
    startWrite();
    // A write can finish and a timer fire while we wait; loop until nothing is left.
    while (writing.size > 0 || buffer.length > 0) {
      startWrite();
      await Promise.allSettled([...writing]);
    }
  };

  return {
    record(event) {
      if (closing) return Promise.reject(new AttendanceWriterClosedError());
      return new Promise<void>((resolve, reject) => {
        buffer.push({ event, resolve, reject });
        if (buffer.length >= maxBatch) startWrite();
        else timer ??= setTimeout(startWrite, flushDelayMs);
      });
    },
    flush,
    close() {
      closing ??= flush();
      return closing;
    },
  };
}
