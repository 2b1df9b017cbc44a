/**
 * What a change to a meeting will send, worked out before it is saved, for the edit page:
 * which sites get an update (REQUEST with a higher SEQUENCE), which a new invitation, which a
 * cancellation. It reads only, and follows the same rules as MeetingService.update and the
 * outbox's plan (api/invites/outbox.ts):
 *
 *   time, title, agenda, reference or host changed   every remaining site: update
 *   site added (or new host)              invitation
 *   site removed (or a replaced host)     cancellation
 *   only membership changed               the others get nothing
 *
 * Rules that refuse a change (times, conflicts, inactive sites) are left to the save itself,
 * which runs them in its transaction; a site that does not exist is reported here already.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { adminUnits, meetingParticipants, meetings, sites } from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { subtreeCodes } from '../units/service.ts';
import type { UpdateMeetingInput } from './schemas.ts';

export interface PreviewSite {
  id: string;
  name: string;
  unitCode: string;
  unitName: string;
}

export interface UpdatePreview {
  contentChanged: boolean;
  changedFields: ('time' | 'title' | 'agenda' | 'reference' | 'host')[];
  updates: PreviewSite[];
  invitations: PreviewSite[];
  cancellations: PreviewSite[];
}

export async function previewMeetingUpdate(db: Executor, meetingId: string, input: UpdateMeetingInput): Promise<UpdatePreview> {
  const [current] = await db.select().from(meetings).where(eq(meetings.id, meetingId)).limit(1);
  if (!current) throw new NotFoundError('Meeting', meetingId);
  const next = {
    title: input.title ?? current.title,
    agenda: input.agenda === undefined ? current.agenda : input.agenda,
    referenceNumber: input.referenceNumber === undefined ? current.referenceNumber : input.referenceNumber,
    hostSiteId: input.hostSiteId ?? current.hostSiteId,
    startsAt: input.startsAt ?? current.startsAt,
    endsAt: input.endsAt ?? current.endsAt,
  };
  const changedFields: UpdatePreview['changedFields'] = [];
  if (next.startsAt.getTime() !== current.startsAt.getTime() || next.endsAt.getTime() !== current.endsAt.getTime()) changedFields.push('time');
  if (next.title !== current.title) changedFields.push('title');
  if (next.agenda !== current.agenda) changedFields.push('agenda');
  if (next.referenceNumber !== current.referenceNumber) changedFields.push('reference');
  const hostChanged = next.hostSiteId !== current.hostSiteId;
  if (hostChanged) changedFields.push('host');

  const currentIds = new Set(
    (await db.select({ siteId: meetingParticipants.siteId }).from(meetingParticipants).where(eq(meetingParticipants.meetingId, meetingId))).map(
      (r) => r.siteId,
    ),
  );
  const requested = new Set<string>();
  for (let i = 0; i < (input.addSiteIds ?? []).length; i += 5000) {
    const chunk = input.addSiteIds!.slice(i, i + 5000);
    const found = await db.select({ id: sites.id }).from(sites).where(inArray(sites.id, chunk));
    if (found.length !== new Set(chunk).size) throw new ValidationError('Some sites to add do not exist', { reason: 'unknown_sites' });
    for (const row of found) requested.add(row.id);
  }
  for (const code of new Set(input.addUnitCodes ?? [])) {
    const [unit] = await db.select({ level: adminUnits.level }).from(adminUnits).where(eq(adminUnits.code, code)).limit(1);
    if (!unit) throw new ValidationError(`Unknown administrative unit: ${code}`, { reason: 'unknown_units', unitCodes: [code] });
    const rows = await db
      .select({ id: sites.id })
      .from(sites)
      .where(and(eq(sites.active, true), inArray(sites.unitCode, subtreeCodes(code, { includeSelf: unit.level === 'commune' }))));
    for (const row of rows) requested.add(row.id);
  }
  const removed = new Set((input.removeSiteIds ?? []).filter((id) => currentIds.has(id)));
  if (hostChanged && !requested.has(current.hostSiteId)) removed.add(current.hostSiteId);
  const finalIds = new Set([...currentIds, ...requested, next.hostSiteId].filter((id) => !removed.has(id)));
  const added = [...finalIds].filter((id) => !currentIds.has(id));
  const gone = [...currentIds].filter((id) => !finalIds.has(id));
  const contentChanged = changedFields.length > 0;
  const updated = contentChanged ? [...finalIds].filter((id) => currentIds.has(id)) : [];

  const described = await describeSites(db, [...new Set([...added, ...gone, ...updated])]);
  const pick = (ids: string[]) =>
    ids
      .map((id) => described.get(id))
      .filter((s): s is PreviewSite => s !== undefined)
      .sort((a, b) => a.unitCode.localeCompare(b.unitCode) || a.name.localeCompare(b.name, 'vi'));
  return { contentChanged, changedFields, updates: pick(updated), invitations: pick(added), cancellations: pick(gone) };
}

async function describeSites(db: Executor, ids: string[]): Promise<Map<string, PreviewSite>> {
  const out = new Map<string, PreviewSite>();
  for (let i = 0; i < ids.length; i += 5000) {
    const rows = await db
      .select({ id: sites.id, name: sites.name, unitCode: sites.unitCode, unitName: adminUnits.name })
      .from(sites)
      .innerJoin(adminUnits, eq(adminUnits.code, sites.unitCode))
      .where(inArray(sites.id, ids.slice(i, i + 5000)))
      .orderBy(asc(sites.unitCode));
    for (const row of rows) out.set(row.id, row);
  }
  return out;
}
