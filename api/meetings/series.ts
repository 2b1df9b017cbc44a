/**
 * Meeting series (giao ban hằng tuần, hằng tháng): one `meeting_series` row with the rule, and one
 * ordinary `meetings` row per occurrence (series_id, occurrence_start), so attendance, invitations,
 * readiness answers, the console and the reports work per occurrence exactly as for a single
 * meeting, and PATCH /api/meetings/:id or its cancel changes one occurrence.
 *
 * Calendars see one series per site: the outbox queues one whole-series message per site (the
 * RRULE, EXDATE for the dates dropped before sending), not one per occurrence; changing or
 * cancelling one occurrence later sends that occurrence alone, with RECURRENCE-ID
 * (api/invites/render.ts). "This and following" (`split`) gives the rest a new series with a new
 * UID and ends the old one with UNTIL.
 *
 * Creating a series is one transaction under the scheduling locks of every occurrence, taken in
 * one ascending order (scheduling-locks.ts), and checks the conflicts of every occurrence in one
 * query per 5,000 sites: the 409 names each clashing date.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, gt, gte, inArray, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor, Transaction } from '../../db/client.ts';
import { auditLog, meetingParticipants, meetings, meetingSeries, sites } from '../../db/schema.ts';
import { assertMayManageMeeting, assertMaySchedule } from '../auth/policy.ts';
import type { AppContext, AuthenticatedUser } from '../context.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { fastVietnamIso as toVietnamIso } from '../time.ts';
import { conflictingMeetingBody, conflictingMeetingJson } from './json.ts';
import { chunks, type ConflictingMeeting } from './queries.ts';
import { describeRule, holidayOn, occurrenceStarts, recurrenceRule, vietnamDate, type RecurrenceRule } from './recurrence.ts';
import { scheduleProblems } from './rules.ts';
import { lockSchedulingAll } from './scheduling-locks.ts';
import { createMeetingInput, instant } from './schemas.ts';
import { assertSchedule, resolveMeetingSites, type MeetingService } from './service.ts';

const localDate = z.iso.date();

/** POST /api/meetings/series: a meeting's fields, the rule, and the dates to leave out. */
export const createSeriesInput = z
  .object({
    ...createMeetingInput.shape,
    recurrence: recurrenceRule,
    /** Vietnam dates ("2027-01-01") of occurrences not to create, e.g. public holidays. */
    excludeDates: z.array(localDate).max(100).default([]),
  })
  .strict();
export type CreateSeriesInput = z.output<typeof createSeriesInput>;

/** POST /api/meetings/series/preview: only what the dates depend on. */
export const previewSeriesInput = z
  .object({ startsAt: instant, endsAt: instant, recurrence: recurrenceRule, excludeDates: z.array(localDate).max(100).default([]) })
  .strip();
export type PreviewSeriesInput = z.output<typeof previewSeriesInput>;

/** POST /api/meetings/series/:id/split: "this and following" from one occurrence, with what changes. */
export const splitSeriesInput = z
  .object({
    fromMeetingId: z.uuid(),
    /** The new times of that occurrence; every later one moves by the same amount. */
    startsAt: instant.optional(),
    endsAt: instant.optional(),
    title: createMeetingInput.shape.title.optional(),
    agenda: createMeetingInput.shape.agenda,
    allowConflicts: z.boolean().default(false),
  })
  .strict();
export type SplitSeriesInput = z.output<typeof splitSeriesInput>;

export const seriesOccurrenceBody = z
  .object({
    date: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    holiday: z.string().nullable(),
    excluded: z.boolean(),
  })
  .strict();

export const seriesPreviewBody = z.object({ description: z.string(), occurrences: z.array(seriesOccurrenceBody) }).strict();
export type SeriesPreviewBody = z.infer<typeof seriesPreviewBody>;

export const seriesBody = z
  .object({
    id: z.uuid(),
    uid: z.string(),
    title: z.string(),
    description: z.string(),
    sequence: z.number().int().min(0),
    meetings: z.array(z.object({ id: z.uuid(), startsAt: z.string(), endsAt: z.string(), status: z.enum(['scheduled', 'cancelled']) }).strict()),
  })
  .strict();
export type SeriesBody = z.infer<typeof seriesBody>;

/** The `details.occurrences` of a series' 409 schedule_conflict: each clashing date and what it clashes with. */
export const seriesConflictBody = z.object({ date: z.string(), startsAt: z.string(), conflicts: z.array(conflictingMeetingBody) }).strict();

export class SeriesConflictError extends ConflictError {
  constructor(
    readonly occurrences: { date: string; startsAt: Date; conflicts: ConflictingMeeting[] }[],
    readonly siteCount: number,
  ) {
    super(
      `${siteCount} site(s) are already booked on ${occurrences.length} date(s) of the series: ${occurrences
        .slice(0, 5)
        .map((o) => o.date)
        .join(', ')}${occurrences.length > 5 ? ', …' : ''}. Drop those dates, or send allowConflicts: true to schedule anyway.`,
      {
        dates: occurrences.map((o) => o.date),
        occurrences: occurrences.map((o) => ({ date: o.date, startsAt: toVietnamIso(o.startsAt), conflicts: o.conflicts.map(conflictingMeetingJson) })),
        siteCount,
      },
      'schedule_conflict',
    );
  }
}

export type SeriesRow = typeof meetingSeries.$inferSelect;

interface Occurrence {
  startsAt: Date;
  endsAt: Date;
  date: string;
  holiday: string | null;
  excluded: boolean;
}

/** Every date the rule gives, marked: holiday, excluded. */
function expand(input: { startsAt: Date; endsAt: Date; recurrence: RecurrenceRule; excludeDates: string[] }): Occurrence[] {
  const { starts, tooMany } = occurrenceStarts(input.recurrence, input.startsAt);
  if (tooMany) throw new ValidationError('A series may have at most 100 occurrences: choose an earlier end date', { reason: 'too_many_occurrences' });
  const duration = input.endsAt.getTime() - input.startsAt.getTime();
  const excluded = new Set(input.excludeDates);
  return starts.map((startsAt) => {
    const date = vietnamDate(startsAt);
    return { startsAt, endsAt: new Date(startsAt.getTime() + duration), date, holiday: holidayOn(startsAt)?.name ?? null, excluded: excluded.has(date) };
  });
}

export class SeriesService {
  constructor(
    private readonly ctx: AppContext,
    private readonly meetings: MeetingService,
  ) {}

  /** The dates a series would have, with holidays marked; writes nothing. */
  preview(input: PreviewSeriesInput): SeriesPreviewBody {
    assertSchedule(scheduleProblems(input, this.ctx.now(), { startChanged: true }));
    return {
      description: describeRule(input.recurrence, input.startsAt),
      occurrences: expand(input).map((o) => ({ ...o, startsAt: toVietnamIso(o.startsAt), endsAt: toVietnamIso(o.endsAt) })),
    };
  }

  async create(input: CreateSeriesInput, actor: AuthenticatedUser): Promise<SeriesBody> {
    const now = this.ctx.now();
    await assertMaySchedule(this.ctx.db, actor, input);
    assertSchedule(scheduleProblems(input, now, { startChanged: true }));
    const all = expand(input);
    const kept = all.filter((o) => !o.excluded);
    if (kept.length === 0) throw new ValidationError('Every date of the series was left out', { reason: 'no_occurrences' });
    const unknownExcluded = input.excludeDates.filter((date) => !all.some((o) => o.date === date));
    if (unknownExcluded.length)
      throw new ValidationError('Some dates to leave out are not dates of the series', { reason: 'unknown_dates', dates: unknownExcluded });

    const seriesId = randomUUID();
    const hostname = new URL(this.ctx.config.PUBLIC_URL).hostname;
    const change = await this.ctx.db.transaction(async (tx) => {
      const siteIds = await resolveMeetingSites(tx, input);
      await lockSchedulingAll(tx, kept, siteIds);
      if (!input.allowConflicts) await assertNoSeriesConflicts(tx, siteIds, kept);

      const [series] = await tx
        .insert(meetingSeries)
        .values({
          id: seriesId,
          uid: `${seriesId}@${hostname}`,
          title: input.title,
          agenda: input.agenda ?? null,
          referenceNumber: input.referenceNumber ?? null,
          hostSiteId: input.hostSiteId,
          rule: input.recurrence,
          firstStartsAt: all[0]!.startsAt,
          durationMinutes: Math.round((input.endsAt.getTime() - input.startsAt.getTime()) / 60_000),
          excludedStarts: all.filter((o) => o.excluded).map((o) => o.startsAt.toISOString()),
          createdBy: actor.id,
          updatedAt: now,
        })
        .returning();
      const rows = await tx
        .insert(meetings)
        .values(
          kept.map((o) => {
            const id = randomUUID();
            return {
              id,
              uid: `${id}@${hostname}`,
              title: input.title,
              agenda: input.agenda ?? null,
              referenceNumber: input.referenceNumber ?? null,
              hostSiteId: input.hostSiteId,
              startsAt: o.startsAt,
              endsAt: o.endsAt,
              createdBy: actor.id,
              seriesId,
              occurrenceStart: o.startsAt,
              updatedAt: now,
            };
          }),
        )
        .returning();
      rows.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
      await insertSeriesParticipants(
        tx,
        rows.map((r) => r.id),
        input.hostSiteId,
        siteIds,
      );
      await auditSeries(tx, actor, 'series.create', seriesId, {
        title: input.title,
        rule: input.recurrence,
        occurrences: rows.length,
        excludedDates: input.excludeDates,
        siteCount: siteIds.length,
        allowConflicts: input.allowConflicts,
      });
      const announced = await this.meetings.notify(tx, {
        kind: 'created',
        meeting: rows[0]!,
        sequenceRaised: false,
        contentChanged: true,
        addedSiteIds: siteIds,
        removedSiteIds: [],
        siteIds,
        wholeSeries: { seriesId, sequence: series!.sequence },
      });
      return { announced, series: series!, rows };
    });
    this.meetings.committed(change.announced);
    this.ctx.logger.info({ seriesId, meetingId: change.rows[0]!.id, occurrences: change.rows.length, actorUserId: actor.id }, 'meeting series scheduled');
    return seriesJson(change.series, change.rows);
  }

  /** The series' rule in words ("thứ Hai hằng tuần, 10 lần"), for an occurrence's page. */
  async describe(id: string): Promise<string> {
    const series = await loadSeries(this.ctx.db, id);
    return describeRule(recurrenceRule.parse(series.rule), series.firstStartsAt);
  }

  /** The series with its occurrences; 404 when it does not exist, 403 outside the account's unit. */
  async get(id: string, actor: AuthenticatedUser): Promise<SeriesBody> {
    const series = await loadSeries(this.ctx.db, id);
    const rows = await this.ctx.db.select().from(meetings).where(eq(meetings.seriesId, id)).orderBy(asc(meetings.startsAt));
    if (rows[0]) await assertMayManageMeeting(this.ctx.db, actor, rows[0].id);
    return seriesJson(series, rows);
  }

  /**
   * "This and following": from `fromMeetingId` on, the occurrences leave the series for a new one
   * (new UID, the same rule from that date, the old count less what stays behind), moved and
   * retitled as asked; the old series ends with UNTIL at its last kept occurrence. Every site gets
   * the old series' update and the new series' invitation, each once.
   */
  async split(seriesId: string, input: SplitSeriesInput, actor: AuthenticatedUser): Promise<SeriesBody> {
    const now = this.ctx.now();
    await assertMayManageMeeting(this.ctx.db, actor, input.fromMeetingId);
    const hostname = new URL(this.ctx.config.PUBLIC_URL).hostname;
    const newSeriesId = randomUUID();
    const result = await this.ctx.db.transaction(async (tx) => {
      const [old] = await tx.select().from(meetingSeries).where(eq(meetingSeries.id, seriesId)).limit(1).for('update');
      if (!old) throw new NotFoundError('Meeting series', seriesId);
      const [from] = await tx
        .select()
        .from(meetings)
        .where(and(eq(meetings.id, input.fromMeetingId), eq(meetings.seriesId, seriesId)))
        .limit(1);
      if (!from) throw new NotFoundError('Occurrence of this series', input.fromMeetingId);
      if (from.endsAt.getTime() <= now.getTime()) throw new ConflictError('This occurrence is over and can no longer be changed', undefined, 'meeting_over');
      const earlier = await tx
        .select({ id: meetings.id, occurrenceStart: meetings.occurrenceStart })
        .from(meetings)
        .where(and(eq(meetings.seriesId, seriesId), lt(meetings.occurrenceStart, from.occurrenceStart!)))
        .orderBy(asc(meetings.occurrenceStart));
      if (earlier.length === 0) throw new ValidationError('Split from a later occurrence: this is the first of the series', { reason: 'split_at_first' });
      const moving = await tx
        .select()
        .from(meetings)
        .where(and(eq(meetings.seriesId, seriesId), gte(meetings.occurrenceStart, from.occurrenceStart!)))
        .orderBy(asc(meetings.occurrenceStart));
      const shift = (input.startsAt ?? from.startsAt).getTime() - from.startsAt.getTime();
      const newDuration = (input.endsAt ?? new Date(from.endsAt.getTime() + shift)).getTime() - (input.startsAt ?? from.startsAt).getTime();
      const next = moving.map((m) => ({
        row: m,
        startsAt: new Date(m.occurrenceStart!.getTime() + shift),
        endsAt: new Date(m.occurrenceStart!.getTime() + shift + newDuration),
      }));
      const live = next.filter((n) => n.row.status === 'scheduled');
      for (const n of live) assertSchedule(scheduleProblems(n, now, { startChanged: shift !== 0 && n.row === from }));

      const siteIds = (await tx.select({ siteId: meetingParticipants.siteId }).from(meetingParticipants).where(eq(meetingParticipants.meetingId, from.id))).map(
        (r) => r.siteId,
      );
      if (shift !== 0 || newDuration !== from.endsAt.getTime() - from.startsAt.getTime()) {
        await lockSchedulingAll(tx, live, siteIds);
        if (!input.allowConflicts) {
          await assertNoSeriesConflicts(
            tx,
            siteIds,
            live.map((n) => ({ ...n, date: vietnamDate(n.startsAt) })),
            moving.map((m) => m.id),
          );
        }
      }
      const rule = recurrenceRule.parse(old.rule);
      // A counted rule ends, for the new part, on the date of its last occurrence: a count of what
      // moved could be 1, which is no series, and UNTIL says the same to every calendar.
      const lastMoved = next.at(-1)!.startsAt;
      const newRule: RecurrenceRule = rule.count !== undefined ? { frequency: rule.frequency, until: vietnamDate(lastMoved) } : rule;
      const [created] = await tx
        .insert(meetingSeries)
        .values({
          id: newSeriesId,
          uid: `${newSeriesId}@${hostname}`,
          title: input.title ?? old.title,
          agenda: input.agenda === undefined ? old.agenda : input.agenda,
          referenceNumber: old.referenceNumber,
          hostSiteId: old.hostSiteId,
          rule: newRule,
          firstStartsAt: new Date(from.occurrenceStart!.getTime() + shift),
          durationMinutes: Math.round(newDuration / 60_000),
          untilAt: old.untilAt ? new Date(old.untilAt.getTime() + shift) : null,
          excludedStarts: old.excludedStarts
            .filter((s) => Date.parse(s) >= from.occurrenceStart!.getTime())
            .map((s) => new Date(Date.parse(s) + shift).toISOString()),
          createdBy: actor.id,
          updatedAt: now,
        })
        .returning();
      // The new series' occurrences start afresh: their RECURRENCE-IDs are the new rule's dates.
      for (const n of next) {
        await tx
          .update(meetings)
          .set({
            seriesId: newSeriesId,
            occurrenceStart: n.startsAt,
            startsAt: n.startsAt,
            endsAt: n.endsAt,
            title: input.title ?? n.row.title,
            agenda: input.agenda === undefined ? n.row.agenda : input.agenda,
            sequence: sql`${meetings.sequence} + 1`,
            updatedAt: now,
          })
          .where(eq(meetings.id, n.row.id));
      }
      const lastKept = earlier.at(-1)!.occurrenceStart!;
      const [ended] = await tx
        .update(meetingSeries)
        .set({ untilAt: lastKept, sequence: sql`${meetingSeries.sequence} + 1`, updatedAt: now })
        .where(eq(meetingSeries.id, seriesId))
        .returning();
      await auditSeries(tx, actor, 'series.split', seriesId, { newSeriesId, fromMeetingId: from.id, shiftMinutes: shift / 60_000, moved: moving.length });
      const [anchorOld] = await tx.select().from(meetings).where(eq(meetings.id, earlier[0]!.id)).limit(1);
      const [anchorNew] = await tx
        .select()
        .from(meetings)
        .where(and(eq(meetings.seriesId, newSeriesId), gt(meetings.endsAt, new Date(0))))
        .orderBy(asc(meetings.occurrenceStart))
        .limit(1);
      const oldChange = await this.meetings.notify(tx, {
        kind: 'updated',
        meeting: anchorOld!,
        sequenceRaised: true,
        contentChanged: true,
        addedSiteIds: [],
        removedSiteIds: [],
        siteIds,
        wholeSeries: { seriesId, sequence: ended!.sequence },
      });
      const newChange = await this.meetings.notify(tx, {
        kind: 'created',
        meeting: anchorNew!,
        sequenceRaised: false,
        contentChanged: true,
        addedSiteIds: siteIds,
        removedSiteIds: [],
        siteIds,
        wholeSeries: { seriesId: newSeriesId, sequence: created!.sequence },
      });
      return { oldChange, newChange, created: created! };
    });
    this.meetings.committed(result.oldChange);
    this.meetings.committed(result.newChange);
    this.ctx.logger.info({ seriesId, newSeriesId, actorUserId: actor.id }, 'meeting series split');
    const rows = await this.ctx.db.select().from(meetings).where(eq(meetings.seriesId, newSeriesId)).orderBy(asc(meetings.startsAt));
    return seriesJson(result.created, rows);
  }
}

async function auditSeries(tx: Transaction, actor: AuthenticatedUser, action: string, seriesId: string, details: Record<string, unknown>): Promise<void> {
  await tx.insert(auditLog).values({ actorUserId: actor.id, action, entity: 'meeting_series', entityId: seriesId, details });
}

export async function loadSeries(db: Executor, id: string): Promise<SeriesRow> {
  const [series] = await db.select().from(meetingSeries).where(eq(meetingSeries.id, id)).limit(1);
  if (!series) throw new NotFoundError('Meeting series', id);
  return series;
}

function seriesJson(series: SeriesRow, rows: (typeof meetings.$inferSelect)[]): SeriesBody {
  return {
    id: series.id,
    uid: series.uid,
    title: series.title,
    description: describeRule(recurrenceRule.parse(series.rule), series.firstStartsAt),
    sequence: series.sequence,
    meetings: rows.map((m) => ({ id: m.id, startsAt: toVietnamIso(m.startsAt), endsAt: toVietnamIso(m.endsAt), status: m.status })),
  };
}

/** Every (meeting, site) row of the occurrences in one statement per 20 meetings: a national series of 10 is 33,560 rows. */
async function insertSeriesParticipants(tx: Transaction, meetingIds: string[], hostSiteId: string, siteIds: string[]): Promise<void> {
  const siteArray = `{${siteIds.join(',')}}`;
  for (const chunk of chunks(meetingIds, 20)) {
    await tx.execute(sql`
      insert into ${meetingParticipants} (meeting_id, site_id, role)
      select m.id, s.id, (case when s.id = ${hostSiteId}::uuid then 'host' else 'participant' end)::participant_role
      from unnest(${`{${chunk.join(',')}}`}::uuid[]) as m(id) cross join unnest(${siteArray}::uuid[]) as s(id)
      on conflict do nothing`);
  }
}

/**
 * The conflicts of every occurrence at once: the sites' scheduled meetings overlapping any of the
 * intervals (one query per 5,000 sites), then sorted out per occurrence.
 */
async function assertNoSeriesConflicts(
  tx: Transaction,
  siteIds: string[],
  occurrences: { startsAt: Date; endsAt: Date; date: string }[],
  excludeMeetingIds: string[] = [],
): Promise<void> {
  if (occurrences.length === 0) return;
  const starts = `{${occurrences.map((o) => o.startsAt.toISOString()).join(',')}}`;
  const ends = `{${occurrences.map((o) => o.endsAt.toISOString()).join(',')}}`;
  const clashes: { meetingId: string; title: string; startsAt: Date; endsAt: Date; siteId: string; siteName: string }[] = [];
  for (const chunk of chunks(siteIds, 5000)) {
    const rows = await tx
      .select({ meetingId: meetings.id, title: meetings.title, startsAt: meetings.startsAt, endsAt: meetings.endsAt, siteId: sites.id, siteName: sites.name })
      .from(meetingParticipants)
      .innerJoin(meetings, eq(meetings.id, meetingParticipants.meetingId))
      .innerJoin(sites, eq(sites.id, meetingParticipants.siteId))
      .where(
        and(
          inArray(meetingParticipants.siteId, chunk),
          eq(meetings.status, 'scheduled'),
          excludeMeetingIds.length ? sql`${meetings.id} <> all(${`{${excludeMeetingIds.join(',')}}`}::uuid[])` : undefined,
          sql`exists (select 1 from unnest(${starts}::timestamptz[], ${ends}::timestamptz[]) as o(s, e) where ${meetings.startsAt} < o.e and ${meetings.endsAt} > o.s)`,
        ),
      )
      .orderBy(asc(meetings.startsAt), asc(sites.name));
    clashes.push(...rows);
  }
  if (clashes.length === 0) return;
  const clashingSites = new Set<string>();
  const out: { date: string; startsAt: Date; conflicts: ConflictingMeeting[] }[] = [];
  for (const o of occurrences) {
    const byMeeting = new Map<string, ConflictingMeeting>();
    for (const c of clashes) {
      if (!(c.startsAt.getTime() < o.endsAt.getTime() && c.endsAt.getTime() > o.startsAt.getTime())) continue;
      clashingSites.add(c.siteId);
      let entry = byMeeting.get(c.meetingId);
      if (!entry) {
        entry = { meetingId: c.meetingId, title: c.title, startsAt: c.startsAt, endsAt: c.endsAt, siteCount: 0, sites: [] };
        byMeeting.set(c.meetingId, entry);
      }
      entry.siteCount++;
      if (entry.sites.length < 20) entry.sites.push({ id: c.siteId, name: c.siteName });
    }
    if (byMeeting.size) out.push({ date: o.date, startsAt: o.startsAt, conflicts: [...byMeeting.values()] });
  }
  throw new SeriesConflictError(out, clashingSites.size);
}
