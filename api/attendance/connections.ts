/**
 * Replays one site's canonical event sequence into its connected intervals, the quality
 * samples that belong to them and its floor grants. This module owns the rules for imperfect
 * streams (lost joins, lost leaves, stale events from dead connections); the ledger only clips
 * and summarises what comes out.
 *
 * Model: a site is on at most one connection at a time (one hall, one browser connection; a
 * rejoin gets a new connectionId). So the site has at most one open interval, and any sign of
 * life from another connection means the previous one is gone.
 *
 * Rules, applied to events in canonical order (see event-order.ts):
 * - join(c), nothing open: open an interval on c.
 * - join(c), c already open: a repeated join under another eventId; ignored.
 * - join/quality(c), another connection p open: p's leave was lost (typically a worker died
 *   and the site reconnected). p is closed at this event's time with cause 'server-failure',
 *   marked inferred, and c is opened at the same instant. Closing at the rejoin rather than at
 *   p's last quality sample is the documented choice: a silence in samples looks the same as a
 *   lost batch of samples, so we do not guess from it; the `inferred` mark tells the reader.
 * - quality(c), nothing open: c's join was lost; open an interval on c at the sample, marked
 *   inferred.
 * - leave(c), c open: close with the given cause.
 * - leave(c), another connection p open: c's join was lost, so the site had moved from p to c
 *   at an unknown moment; the site's interval ends here with c's cause.
 * - leave(c), nothing open: nothing to close (its join was lost or came after it); counted.
 * - Once a connection is closed by any rule above it stays closed: its later events (a late
 *   leave from the dead worker's cleanup, a straggling sample) are ignored and counted.
 * - After the last event an interval still open is left open (`end: null`) when the meeting
 *   has not ended (running, or a sound check before the start); otherwise it is closed at
 *   `closeOpenIntervalAt` with an inferred 'server-failure' (the SFU sends 'meeting-ended'
 *   leaves, so a missing one means something failed).
 * - floor-taken carries nothing the ledger reports; floor-given is counted per site.
 */
import type { AttendanceEvent, LeaveCause } from '../../db/attendance-event.ts';

export interface ReplayedInterval {
  connectionId: string;
  /** Epoch ms, unclipped. */
  start: number;
  /** Epoch ms, unclipped; null while the connection is still live. */
  end: number | null;
  endCause: LeaveCause | null;
  /** True when the join was not seen and the interval was opened by a quality sample. */
  startInferred: boolean;
  /** True when the leave was not seen and a rule above closed the interval. */
  endInferred: boolean;
}

export interface QualitySample {
  at: number;
  bitrateKbps: number;
  lossPercent: number;
  rttMs: number;
  jitterMs: number;
}

export interface ReplayAnomalies {
  /** Events for a connection already closed: late leaves and samples from dead connections. */
  staleConnectionEvents: number;
  /** Leaves that had no open interval to close. */
  unmatchedLeaves: number;
  /** Intervals opened by a quality sample because the join was lost. */
  inferredJoins: number;
  /** Intervals closed without a leave (superseded by another connection, or at meeting end). */
  inferredLeaves: number;
}

export interface SiteReplay {
  intervals: ReplayedInterval[];
  qualitySamples: QualitySample[];
  floorGrantTimes: number[];
  anomalies: ReplayAnomalies;
}

/**
 * @param siteEvents one site's events, already de-duplicated and in canonical order.
 * @param closeOpenIntervalAt where to close an interval still open after the last event;
 *   null to leave it open (meeting not ended).
 */
export function replaySiteEvents(siteEvents: readonly AttendanceEvent[], closeOpenIntervalAt: number | null): SiteReplay {
  const intervals: ReplayedInterval[] = [];
  const qualitySamples: QualitySample[] = [];
  const floorGrantTimes: number[] = [];
  const anomalies: ReplayAnomalies = {
    staleConnectionEvents: 0,
    unmatchedLeaves: 0,
    inferredJoins: 0,
    inferredLeaves: 0,
  };
  const closedConnections = new Set<string>();
  let open: ReplayedInterval | null = null;

  const close = (interval: ReplayedInterval, at: number, cause: LeaveCause, inferred: boolean): void => {
    interval.end = at;
    interval.endCause = cause;
    interval.endInferred = inferred;
    closedConnections.add(interval.connectionId);
    if (inferred) anomalies.inferredLeaves += 1;
  };
  const openOn = (connectionId: string, at: number, startInferred: boolean): ReplayedInterval => {
    const interval: ReplayedInterval = {
      connectionId,
      start: at,
      end: null,
      endCause: null,
      startInferred,
      endInferred: false,
    };
    intervals.push(interval);
    if (startInferred) anomalies.inferredJoins += 1;
    return interval;
  };

  for (const event of siteEvents) {
    const at = event.at.getTime();
    switch (event.kind) {
      case 'join':
      case 'quality': {
        if (closedConnections.has(event.connectionId)) {
          anomalies.staleConnectionEvents += 1;
          break;
        }
        if (open !== null && open.connectionId !== event.connectionId) {
          close(open, at, 'server-failure', true);
          open = null;
        }
        if (open === null) open = openOn(event.connectionId, at, event.kind === 'quality');
        if (event.kind === 'quality') {
          qualitySamples.push({
            at,
            bitrateKbps: event.bitrateKbps,
            lossPercent: event.lossPercent,
            rttMs: event.rttMs,
            jitterMs: event.jitterMs,
          });
        }
        break;
      }
      case 'leave': {
        if (closedConnections.has(event.connectionId)) {
          anomalies.staleConnectionEvents += 1;
          break;
        }
        if (open === null) {
          anomalies.unmatchedLeaves += 1;
        } else {
          close(open, at, event.cause, false);
          open = null;
        }
        // Also covers a leave for a connection other than the open one: both are now over.
        closedConnections.add(event.connectionId);
        break;
      }
      case 'floor-given':
        floorGrantTimes.push(at);
        break;
      case 'floor-taken':
        break;
      default: {
        const unhandled: never = event;
        throw new Error(`unhandled attendance event kind: ${JSON.stringify(unhandled)}`);
      }
    }
  }

  if (open !== null && closeOpenIntervalAt !== null) {
    // An interval opened after the meeting's end closes where it opened (zero length).
    close(open, Math.max(open.start, closeOpenIntervalAt), 'server-failure', true);
  }
  return { intervals, qualitySamples, floorGrantTimes, anomalies };
}
