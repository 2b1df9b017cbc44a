/**
 * Scheduling: create, change and cancel meetings (reading them is queries.ts, writing them out
 * for the API json.ts). Every write runs in one transaction, a booking under the scheduling
 * locks of what it books (scheduling-locks.ts), so a refused request (bad site, conflict, rule)
 * leaves nothing behind, and two secretariats booking the same commune at once cannot both
 * succeed. Listeners (the invitation outbox) write their
 * rows inside that same transaction. Each write answers the meeting as queries.ts reads it.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Transaction } from '../../db/client.ts';
import { adminUnits, auditLog, meetingAttachments, meetingParticipants, meetings, sites } from '../../db/schema.ts';
import type { AppContext, AuthenticatedUser } from '../context.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { assertMayManageMeeting, assertMaySchedule } from '../auth/policy.ts';
import { subtreeCodes } from '../units/service.ts';
import { ATTACHMENT_CONTENT_TYPE, type AttachmentUpload } from './attachment.ts';
import { conflictingMeetingJson } from './json.ts';
import { chunks, findConflicts, getMeeting, type ConflictingMeeting, type MeetingDetail, type MeetingRow } from './queries.ts';
import { scheduleProblems, scheduleProblemText, type ScheduleProblem } from './rules.ts';
import { lockScheduling } from './scheduling-locks.ts';
import type { CreateMeetingInput, UpdateMeetingInput } from './schemas.ts';

export interface MeetingChange {
  kind: 'created' | 'updated' | 'cancelled';
  meeting: MeetingRow;
  /** True when SEQUENCE went up. */
  sequenceRaised: boolean;
  /** True when what calendars show changed (time, title, agenda, host): every site needs an update. */
  contentChanged: boolean;
  addedSiteIds: string[];
  removedSiteIds: string[];
  /** Every site in the meeting after the change, host included. */
  siteIds: string[];
  /**
   * The change is to a whole series (series.ts), announced once with its RRULE rather than per
   * occurrence: `meeting` is then the series' first occurrence and `sequence` the series'.
   */
  wholeSeries?: { seriesId: string; sequence: number };
}

/** Called inside the meeting's transaction; throwing rolls the whole change back. */
export type MeetingChangeListener = (tx: Transaction, change: MeetingChange) => void | Promise<void>;

/**
 * Called after the change committed (e.g. to wake the outbox dispatcher: a wake-up from inside
 * the transaction could look before the rows are visible). Must not throw.
 */
export type MeetingCommittedListener = (change: MeetingChange) => void;

/**
 * A 409 schedule_conflict: the clashing meetings as Dates for pages (`conflicts`), and as the
 * API writes them in `details` — an error's details go out as they are (one onError), so they
 * are serialized here, with json.ts, rather than by a route.
 */
export class ScheduleConflictError extends ConflictError {
  constructor(
    readonly conflicts: ConflictingMeeting[],
    readonly siteCount: number,
  ) {
    super(
      `${siteCount} site(s) are already in ${conflicts.length} overlapping meeting(s): ${conflicts
        .slice(0, 3)
        .map((c) => `"${c.title}"`)
        .join(', ')}${conflicts.length > 3 ? ', …' : ''}. Send allowConflicts: true to schedule anyway.`,
      { conflicts: conflicts.map(conflictingMeetingJson), siteCount },
      'schedule_conflict',
    );
  }
}

export class MeetingService {
  private readonly listeners: MeetingChangeListener[] = [];
  private readonly committedListeners: MeetingCommittedListener[] = [];

  constructor(private readonly ctx: AppContext) {}

  onChange(listener: MeetingChangeListener): void {
    this.listeners.push(listener);
  }

  onCommitted(listener: MeetingCommittedListener): void {
    this.committedListeners.push(listener);
  }

  /** `attachment` (checked by attachment.ts) is stored with the meeting, so its invitations carry it. */
  async create(input: CreateMeetingInput, actor: AuthenticatedUser, attachment?: AttachmentUpload): Promise<MeetingDetail> {
    const now = this.ctx.now();
    await assertMaySchedule(this.ctx.db, actor, input);
    assertSchedule(scheduleProblems(input, now, { startChanged: true }));

    const id = randomUUID();
    const change = await this.ctx.db.transaction(async (tx) => {
      const siteIds = await resolveMeetingSites(tx, input);
      await lockScheduling(tx, input, siteIds);
      if (!input.allowConflicts) await assertNoConflicts(tx, siteIds, input, null);

      const [meeting] = await tx
        .insert(meetings)
        .values({
          id,
          uid: `${id}@${new URL(this.ctx.config.PUBLIC_URL).hostname}`,
          title: input.title,
          agenda: input.agenda ?? null,
          referenceNumber: input.referenceNumber ?? null,
          hostSiteId: input.hostSiteId,
          startsAt: input.startsAt,
          endsAt: input.endsAt,
          createdBy: actor.id,
        })
        .returning();
      await insertParticipants(tx, id, input.hostSiteId, siteIds);
      if (attachment) await storeAttachment(tx, id, attachment, actor);
      await auditMeeting(tx, actor, 'meeting.create', id, {
        title: input.title,
        startsAt: input.startsAt.toISOString(),
        endsAt: input.endsAt.toISOString(),
        siteCount: siteIds.length,
        allowConflicts: input.allowConflicts,
        ...(attachment ? { attachment: { fileName: attachment.fileName, sha256: attachment.sha256 } } : {}),
      });
      return this.notify(tx, {
        kind: 'created',
        meeting: meeting!,
        sequenceRaised: false,
        contentChanged: true,
        addedSiteIds: siteIds,
        removedSiteIds: [],
        siteIds,
      });
    });
    this.committed(change);
    this.ctx.logger.info({ meetingId: id, actorUserId: actor.id }, 'meeting scheduled');
    return getMeeting(this.ctx.db, id);
  }

  async update(id: string, input: UpdateMeetingInput, actor: AuthenticatedUser): Promise<MeetingDetail> {
    const now = this.ctx.now();
    await assertMayManageMeeting(this.ctx.db, actor, id);
    if (input.hostSiteId || input.addSiteIds || input.addUnitCodes) {
      await assertMaySchedule(this.ctx.db, actor, { hostSiteId: input.hostSiteId, siteIds: input.addSiteIds, unitCodes: input.addUnitCodes });
    }
    const change = await this.ctx.db.transaction(async (tx) => {
      // The meeting's row lock first (a concurrent change of the same meeting waits here), then
      // the scheduling locks of what it becomes.
      const current = await loadMeetingForChange(tx, id, now);
      const next = {
        title: input.title ?? current.title,
        agenda: input.agenda === undefined ? current.agenda : input.agenda,
        referenceNumber: input.referenceNumber === undefined ? current.referenceNumber : input.referenceNumber,
        hostSiteId: input.hostSiteId ?? current.hostSiteId,
        startsAt: input.startsAt ?? current.startsAt,
        endsAt: input.endsAt ?? current.endsAt,
      };
      const timeChanged = next.startsAt.getTime() !== current.startsAt.getTime() || next.endsAt.getTime() !== current.endsAt.getTime();
      const hostChanged = next.hostSiteId !== current.hostSiteId;
      const contentChanged =
        timeChanged || hostChanged || next.title !== current.title || next.agenda !== current.agenda || next.referenceNumber !== current.referenceNumber;
      if (timeChanged) {
        assertSchedule(scheduleProblems(next, now, { startChanged: next.startsAt.getTime() !== current.startsAt.getTime() }));
      }
      if (hostChanged) await assertActiveHost(tx, next.hostSiteId);

      const currentSiteIds = new Set(
        (await tx.select({ siteId: meetingParticipants.siteId }).from(meetingParticipants).where(eq(meetingParticipants.meetingId, id))).map((r) => r.siteId),
      );
      const removeRequested = new Set(input.removeSiteIds ?? []);
      const notInMeeting = [...removeRequested].filter((siteId) => !currentSiteIds.has(siteId));
      if (notInMeeting.length) throw new ValidationError('Some sites to remove are not in this meeting', { siteIds: notInMeeting });
      if (removeRequested.has(next.hostSiteId)) throw new ValidationError('The host site cannot be removed; choose another host first');

      const requested = await resolveSites(tx, input.addSiteIds ?? [], input.addUnitCodes ?? []);
      // A replaced host leaves the meeting unless it was asked to stay as a participant.
      if (hostChanged && !requested.has(current.hostSiteId)) removeRequested.add(current.hostSiteId);
      const finalSiteIds = new Set([...currentSiteIds, ...requested, next.hostSiteId].filter((siteId) => !removeRequested.has(siteId)));
      if (finalSiteIds.size < 2) throw new ValidationError('A meeting needs at least one participating site besides the host', { reason: 'no_participants' });
      const added = [...finalSiteIds].filter((siteId) => !currentSiteIds.has(siteId));
      const removed = [...currentSiteIds].filter((siteId) => !finalSiteIds.has(siteId));
      if (timeChanged || added.length) await lockScheduling(tx, next, timeChanged ? [...finalSiteIds] : added);

      if (!input.allowConflicts) {
        // Sites already in the meeting only need re-checking when the time moves.
        const toCheck = timeChanged ? [...finalSiteIds] : added;
        if (toCheck.length) await assertNoConflicts(tx, toCheck, next, id);
      }

      // Every change a calendar must see raises SEQUENCE, membership changes included: the
      // added sites' REQUEST and the removed sites' CANCEL then carry a sequence no earlier
      // message to that site had, so (meeting, site, sequence) names exactly one message.
      const raised = contentChanged || added.length > 0 || removed.length > 0;
      const [meeting] = await tx
        .update(meetings)
        .set({ ...next, sequence: raised ? sql`${meetings.sequence} + 1` : meetings.sequence, updatedAt: now })
        .where(eq(meetings.id, id))
        .returning();
      if (removed.length) await tx.delete(meetingParticipants).where(and(eq(meetingParticipants.meetingId, id), inArray(meetingParticipants.siteId, removed)));
      if (hostChanged) {
        await tx.update(meetingParticipants).set({ role: 'participant' }).where(eq(meetingParticipants.meetingId, id));
        await tx
          .update(meetingParticipants)
          .set({ role: 'host' })
          .where(and(eq(meetingParticipants.meetingId, id), eq(meetingParticipants.siteId, next.hostSiteId)));
      }
      await insertParticipants(tx, id, next.hostSiteId, added);
      await auditMeeting(tx, actor, 'meeting.update', id, {
        changed: Object.keys(input).filter((key) => key !== 'allowConflicts' && input[key as keyof UpdateMeetingInput] !== undefined),
        before: { title: current.title, startsAt: current.startsAt.toISOString(), endsAt: current.endsAt.toISOString(), hostSiteId: current.hostSiteId },
        addedSiteCount: added.length,
        removedSiteCount: removed.length,
        sequence: meeting!.sequence,
      });
      return this.notify(tx, {
        kind: 'updated',
        meeting: meeting!,
        sequenceRaised: raised,
        contentChanged,
        addedSiteIds: added,
        removedSiteIds: removed,
        siteIds: [...finalSiteIds],
      });
    });
    this.committed(change);
    this.ctx.logger.info({ meetingId: id, actorUserId: actor.id }, 'meeting changed');
    return getMeeting(this.ctx.db, id);
  }

  /**
   * Attaches (or, with null, removes) the meeting's document. Every site must get what the
   * invitation now carries, so it is a change like a new agenda: SEQUENCE rises and every site
   * is sent an update, in the same transaction.
   */
  async setAttachment(id: string, attachment: AttachmentUpload | null, actor: AuthenticatedUser): Promise<MeetingDetail> {
    const now = this.ctx.now();
    await assertMayManageMeeting(this.ctx.db, actor, id);
    const change = await this.ctx.db.transaction(async (tx) => {
      await loadMeetingForChange(tx, id, now);
      const removed = await tx.delete(meetingAttachments).where(eq(meetingAttachments.meetingId, id)).returning({ sha256: meetingAttachments.sha256 });
      if (attachment) await storeAttachment(tx, id, attachment, actor);
      else if (removed.length === 0) throw new NotFoundError('Attachment', id);
      const [meeting] = await tx
        .update(meetings)
        .set({ sequence: sql`${meetings.sequence} + 1`, updatedAt: now })
        .where(eq(meetings.id, id))
        .returning();
      const siteIds = await participantSiteIds(tx, id);
      await auditMeeting(tx, actor, attachment ? 'meeting.attach' : 'meeting.detach', id, {
        ...(attachment ? { fileName: attachment.fileName, sizeBytes: attachment.content.byteLength, sha256: attachment.sha256 } : {}),
        replaced: removed[0]?.sha256 ?? null,
        sequence: meeting!.sequence,
      });
      return this.notify(tx, {
        kind: 'updated',
        meeting: meeting!,
        sequenceRaised: true,
        contentChanged: true,
        addedSiteIds: [],
        removedSiteIds: [],
        siteIds,
      });
    });
    this.committed(change);
    this.ctx.logger.info({ meetingId: id, actorUserId: actor.id, attached: attachment !== null }, 'meeting attachment changed');
    return getMeeting(this.ctx.db, id);
  }

  async cancel(id: string, reason: string | undefined, actor: AuthenticatedUser): Promise<MeetingDetail> {
    const now = this.ctx.now();
    await assertMayManageMeeting(this.ctx.db, actor, id);
    const change = await this.ctx.db.transaction(async (tx) => {
      // Cancelling frees bookings: the meeting's row lock is all it needs.
      await loadMeetingForChange(tx, id, now);
      const [meeting] = await tx
        .update(meetings)
        .set({ status: 'cancelled', sequence: sql`${meetings.sequence} + 1`, cancelledAt: now, cancelReason: reason ?? null, updatedAt: now })
        .where(eq(meetings.id, id))
        .returning();
      const siteIds = await participantSiteIds(tx, id);
      await auditMeeting(tx, actor, 'meeting.cancel', id, { reason: reason ?? null, sequence: meeting!.sequence });
      return this.notify(tx, {
        kind: 'cancelled',
        meeting: meeting!,
        sequenceRaised: true,
        contentChanged: true,
        addedSiteIds: [],
        removedSiteIds: [],
        siteIds,
      });
    });
    this.committed(change);
    this.ctx.logger.info({ meetingId: id, actorUserId: actor.id }, 'meeting cancelled');
    return getMeeting(this.ctx.db, id);
  }

  /** Runs the change listeners in the change's transaction (also for series.ts). */
  async notify(tx: Transaction, change: MeetingChange): Promise<MeetingChange> {
    for (const listener of this.listeners) await listener(tx, change);
    return change;
  }

  /** Runs the after-commit listeners (also for series.ts). */
  committed(change: MeetingChange): void {
    for (const listener of this.committedListeners) {
      try {
        listener(change);
      } catch (error) {
        this.ctx.logger.error({ err: error, meetingId: change.meeting.id }, 'after-commit listener failed');
      }
    }
  }
}

/** Every site in the meeting, host included. */
async function participantSiteIds(tx: Transaction, meetingId: string): Promise<string[]> {
  const rows = await tx.select({ siteId: meetingParticipants.siteId }).from(meetingParticipants).where(eq(meetingParticipants.meetingId, meetingId));
  return rows.map((r) => r.siteId);
}

/** Who changed which meeting and how; written in the change's own transaction. */
async function auditMeeting(tx: Transaction, actor: AuthenticatedUser, action: string, meetingId: string, details: Record<string, unknown>): Promise<void> {
  await tx.insert(auditLog).values({ actorUserId: actor.id, action, entity: 'meeting', entityId: meetingId, details });
}

async function storeAttachment(tx: Transaction, meetingId: string, attachment: AttachmentUpload, actor: AuthenticatedUser): Promise<void> {
  await tx.insert(meetingAttachments).values({
    meetingId,
    fileName: attachment.fileName,
    contentType: ATTACHMENT_CONTENT_TYPE,
    sizeBytes: attachment.content.byteLength,
    sha256: attachment.sha256,
    content: attachment.content,
    uploadedBy: actor.id,
  });
}

export function assertSchedule(problems: ScheduleProblem[]): void {
  if (problems.length) throw new ValidationError(problems.map((p) => scheduleProblemText[p]).join('; '), { problems });
}

async function loadMeetingForChange(tx: Transaction, id: string, now: Date): Promise<MeetingRow> {
  const [meeting] = await tx.select().from(meetings).where(eq(meetings.id, id)).limit(1).for('update');
  if (!meeting) throw new NotFoundError('Meeting', id);
  if (meeting.status === 'cancelled') throw new ConflictError('This meeting has been cancelled and can no longer be changed', undefined, 'meeting_cancelled');
  if (meeting.endsAt.getTime() <= now.getTime()) throw new ConflictError('This meeting is over and can no longer be changed', undefined, 'meeting_over');
  return meeting;
}

async function assertActiveHost(tx: Transaction, hostSiteId: string): Promise<void> {
  const [host] = await tx.select({ active: sites.active }).from(sites).where(eq(sites.id, hostSiteId)).limit(1);
  if (!host) throw new ValidationError('The host site does not exist', { reason: 'unknown_host', hostSiteId });
  if (!host.active) throw new ValidationError('The host site is not active', { reason: 'inactive_host', hostSiteId });
}

/**
 * A new meeting's (or series') sites: the host first, then every other active site it names,
 * directly or through units; refused when the host is unusable or no one else is invited.
 */
export async function resolveMeetingSites(
  tx: Transaction,
  input: { hostSiteId: string; siteIds?: string[] | undefined; unitCodes?: string[] | undefined },
): Promise<string[]> {
  await assertActiveHost(tx, input.hostSiteId);
  const selected = await resolveSites(tx, input.siteIds ?? [], input.unitCodes ?? []);
  selected.delete(input.hostSiteId);
  if (selected.size === 0) throw new ValidationError('A meeting needs at least one participating site besides the host', { reason: 'no_participants' });
  return [input.hostSiteId, ...selected];
}

/**
 * The set of active site ids named directly or through units. Unknown or inactive sites and
 * unknown units are refused (422) rather than silently dropped: a secretariat must know that a
 * commune it picked will not be invited.
 */
async function resolveSites(tx: Transaction, siteIds: string[], unitCodes: string[]): Promise<Set<string>> {
  const selected = new Set<string>();
  const wanted = [...new Set(siteIds)];
  for (const chunk of chunks(wanted, 5000)) {
    const found = await tx.select({ id: sites.id, active: sites.active }).from(sites).where(inArray(sites.id, chunk));
    const byId = new Map(found.map((s) => [s.id, s]));
    const unknown = chunk.filter((siteId) => !byId.has(siteId));
    if (unknown.length) throw new ValidationError(`${unknown.length} site(s) do not exist`, { reason: 'unknown_sites', siteIds: unknown.slice(0, 100) });
    const inactive = found.filter((s) => !s.active).map((s) => s.id);
    if (inactive.length) throw new ValidationError(`${inactive.length} site(s) are not active`, { reason: 'inactive_sites', siteIds: inactive.slice(0, 100) });
    for (const s of found) selected.add(s.id);
  }
  const codes = [...new Set(unitCodes)];
  if (codes.length) {
    const units = await tx.select({ code: adminUnits.code, level: adminUnits.level }).from(adminUnits).where(inArray(adminUnits.code, codes));
    const unknown = codes.filter((code) => !units.some((u) => u.code === code));
    if (unknown.length)
      throw new ValidationError(`Unknown administrative unit(s): ${unknown.slice(0, 20).join(', ')}`, { reason: 'unknown_units', unitCodes: unknown });
    for (const unit of units) {
      // A province or the nation means the sites below it; a commune means its own site.
      const codesBelow = subtreeCodes(unit.code, { includeSelf: unit.level === 'commune' });
      const rows = await tx
        .select({ id: sites.id })
        .from(sites)
        .where(and(eq(sites.active, true), inArray(sites.unitCode, codesBelow)));
      for (const r of rows) selected.add(r.id);
    }
  }
  return selected;
}

async function assertNoConflicts(tx: Transaction, siteIds: string[], when: { startsAt: Date; endsAt: Date }, excludeMeetingId: string | null): Promise<void> {
  const { conflicts, siteCount } = await findConflicts(tx, siteIds, when, excludeMeetingId);
  if (conflicts.length) throw new ScheduleConflictError(conflicts, siteCount);
}

export async function insertParticipants(tx: Transaction, meetingId: string, hostSiteId: string, siteIds: string[]): Promise<void> {
  const rows = siteIds.map((siteId) => ({ meetingId, siteId, role: siteId === hostSiteId ? ('host' as const) : ('participant' as const) }));
  for (const chunk of chunks(rows, 2000)) {
    await tx.insert(meetingParticipants).values(chunk).onConflictDoNothing();
  }
}
