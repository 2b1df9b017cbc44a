/**
 * Who may do what: the one place that answers it. Routes, pages, the console's WebSocket
 * authentication and the calendar-feed route ask here; nothing else compares roles or units.
 *
 * Every account belongs to a unit ("VN", a province, a commune) and acts within that unit's
 * subtree. The tree is three levels deep (nation → province → commune), so "within" is: the
 * actor is national, or the unit is the actor's own, or the unit's parent is the actor's unit.
 *
 * The rules (the README's "Who may do what" table says the same; the matrix test checks it):
 * - a meeting belongs to the unit of its host site;
 * - a secretariat schedules with a host and sites of its subtree only (so only national staff
 *   schedule meetings spanning provinces), and changes, cancels, resends, rotates links of,
 *   opens the console of and reads the delivery page of the meetings that belong to its subtree;
 * - a leader reads the meetings, reports, live boards and the dashboard of its subtree; for a
 *   meeting hosted above it (a national meeting) it reads the part about its own sites only;
 * - contacts (e-mail, phone) of a site are shown only to accounts whose subtree holds the site;
 * - an admin does what a secretariat and a leader do, and manages the accounts of its subtree;
 * - the local mail folder (every message sent) is national staff's.
 * A refusal is ForbiddenError (403); a meeting, site or account that does not exist is 404.
 */
import { and, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.ts';
import { adminUnits, meetingParticipants, meetings, sites } from '../../db/schema.ts';
import type { AuthenticatedUser, Role } from '../context.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';

export const NATIONAL_UNIT = 'VN';

export type Actor = Pick<AuthenticatedUser, 'id' | 'role' | 'unitCode'>;

/** The actions a role may attempt at all; the unit checks below then narrow them. */
const ROLE_ACTIONS = {
  'meeting.read': ['secretariat', 'leader', 'admin'],
  'meeting.schedule': ['secretariat', 'admin'],
  'meeting.manage': ['secretariat', 'admin'],
  'meeting.console': ['secretariat', 'admin'],
  'meeting.delivery': ['secretariat', 'leader', 'admin'],
  'report.read': ['secretariat', 'leader', 'admin'],
  'units.read': ['secretariat', 'leader', 'admin'],
  'site.links': ['secretariat', 'admin'],
  'mail.read': ['secretariat', 'admin'],
  'accounts.manage': ['admin'],
  'audit.read': ['secretariat', 'admin'],
  'directory.manage': ['secretariat', 'admin'],
  'nodes.manage': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof ROLE_ACTIONS;

export function roleMay(role: Role, action: Action): boolean {
  return (ROLE_ACTIONS[action] as readonly Role[]).includes(role);
}

export function assertRoleMay(actor: Actor, action: Action): void {
  if (!roleMay(actor.role, action)) throw new ForbiddenError();
}

/** A unit given with its parent lies in the actor's subtree. */
export function unitInSubtree(actorUnit: string, unit: { code: string; parentCode: string | null }): boolean {
  return actorUnit === NATIONAL_UNIT || unit.code === actorUnit || unit.parentCode === actorUnit;
}

/** SQL: the unit code in `column` lies in the subtree of `actorUnit`. */
export function unitWithin(column: AnyPgColumn | SQL, actorUnit: string): SQL {
  if (actorUnit === NATIONAL_UNIT) return sql`true`;
  return sql`(${column} = ${actorUnit} or ${column} in (select ${adminUnits.code} from ${adminUnits} where ${adminUnits.parentCode} = ${actorUnit}))`;
}

/** SQL over `meetings`: the meeting is hosted within the actor's subtree (it belongs to it). */
export function meetingHostedWithin(actorUnit: string): SQL {
  if (actorUnit === NATIONAL_UNIT) return sql`true`;
  return sql`exists (select 1 from ${sites} where ${sites.id} = ${meetings.hostSiteId} and ${unitWithin(sites.unitCode, actorUnit)})`;
}

/** SQL over `meetings`: the meeting is hosted within the subtree or invites a site of it. */
export function meetingInvolves(actorUnit: string): SQL {
  if (actorUnit === NATIONAL_UNIT) return sql`true`;
  return or(
    meetingHostedWithin(actorUnit),
    sql`exists (select 1 from ${meetingParticipants} join ${sites} on ${sites.id} = ${meetingParticipants.siteId}
      where ${meetingParticipants.meetingId} = ${meetings.id} and ${unitWithin(sites.unitCode, actorUnit)})`,
  )!;
}

/** How much of a meeting an actor reads: all of it, or only its own sites' part. */
export type MeetingView = { scope: 'full' } | { scope: 'own-sites'; siteIds: string[] };

async function meetingScope(db: Executor, meetingId: string, actorUnit: string): Promise<{ hosted: boolean }> {
  const [row] = await db
    .select({ hosted: sql<boolean>`${meetingHostedWithin(actorUnit)}` })
    .from(meetings)
    .where(eq(meetings.id, meetingId))
    .limit(1);
  if (!row) throw new NotFoundError('Meeting', meetingId);
  return { hosted: row.hosted === true };
}

/** Change, cancel, resend, rotate links, open the console: the meeting belongs to the actor's subtree. */
export async function assertMayManageMeeting(
  db: Executor,
  actor: Actor,
  meetingId: string,
  action: 'meeting.manage' | 'meeting.console' = 'meeting.manage',
): Promise<void> {
  assertRoleMay(actor, action);
  if (!(await meetingScope(db, meetingId, actor.unitCode)).hosted) throw new ForbiddenError('This meeting belongs to another unit');
}

/** Reading a meeting, its report or live board: all of it when it belongs to the subtree, else its own sites. */
export async function meetingView(
  db: Executor,
  actor: Actor,
  meetingId: string,
  action: 'meeting.read' | 'report.read' = 'meeting.read',
): Promise<MeetingView> {
  assertRoleMay(actor, action);
  if ((await meetingScope(db, meetingId, actor.unitCode)).hosted) return { scope: 'full' };
  const own = await db
    .select({ siteId: meetingParticipants.siteId })
    .from(meetingParticipants)
    .innerJoin(sites, eq(sites.id, meetingParticipants.siteId))
    .where(and(eq(meetingParticipants.meetingId, meetingId), unitWithin(sites.unitCode, actor.unitCode)));
  if (own.length === 0) throw new ForbiddenError('This meeting belongs to another unit');
  return { scope: 'own-sites', siteIds: own.map((r) => r.siteId) };
}

/** The delivery page (recipients, errors): the secretariat that manages the meeting, a leader above it. */
export async function assertMayReadDelivery(db: Executor, actor: Actor, meetingId: string): Promise<void> {
  assertRoleMay(actor, 'meeting.delivery');
  if (!(await meetingScope(db, meetingId, actor.unitCode)).hosted) throw new ForbiddenError('This meeting belongs to another unit');
}

/**
 * Scheduling or extending a meeting: the host and every site named, directly or through a unit,
 * lie in the actor's subtree. Unknown sites and units are left to the scheduling rules (422).
 */
export async function assertMaySchedule(
  db: Executor,
  actor: Actor,
  request: { hostSiteId?: string | undefined; siteIds?: string[] | undefined; unitCodes?: string[] | undefined },
): Promise<void> {
  assertRoleMay(actor, 'meeting.schedule');
  if (actor.unitCode === NATIONAL_UNIT) return;
  const siteIds = [...new Set([...(request.hostSiteId ? [request.hostSiteId] : []), ...(request.siteIds ?? [])])];
  if (siteIds.length) {
    const outside = await db
      .select({ id: sites.id })
      .from(sites)
      .where(and(inArray(sites.id, siteIds), sql`not ${unitWithin(sites.unitCode, actor.unitCode)}`))
      .limit(1);
    if (outside.length) throw new ForbiddenError('Only sites of your own unit can host or be invited');
  }
  const unitCodes = [...new Set(request.unitCodes ?? [])];
  if (unitCodes.length) {
    const outside = await db
      .select({ code: adminUnits.code })
      .from(adminUnits)
      .where(and(inArray(adminUnits.code, unitCodes), sql`not ${unitWithin(adminUnits.code, actor.unitCode)}`))
      .limit(1);
    if (outside.length) throw new ForbiddenError('Only units of your own unit can be invited');
  }
}

/** Minting or rotating a site's links (calendar feed): the site lies in the actor's subtree. */
export async function assertMayManageSite(db: Executor, actor: Actor, siteId: string): Promise<void> {
  assertRoleMay(actor, 'site.links');
  const [site] = await db
    .select({ within: sql<boolean>`${unitWithin(sites.unitCode, actor.unitCode)}` })
    .from(sites)
    .where(eq(sites.id, siteId))
    .limit(1);
  if (!site) throw new NotFoundError('Site', siteId);
  if (site.within !== true) throw new ForbiddenError('This site belongs to another unit');
}

/** Reading or changing the directory (contacts) of `unitCode` and the units below it. */
export async function assertMayUseDirectory(db: Executor, actor: Actor, unitCode: string): Promise<void> {
  assertRoleMay(actor, 'directory.manage');
  if (actor.unitCode === NATIONAL_UNIT) return;
  const [unit] = await db.select({ code: adminUnits.code, parentCode: adminUnits.parentCode }).from(adminUnits).where(eq(adminUnits.code, unitCode)).limit(1);
  if (!unit) throw new NotFoundError('Administrative unit', unitCode);
  if (!unitInSubtree(actor.unitCode, unit)) throw new ForbiddenError('This directory belongs to another unit');
}

/** Creating, changing or deactivating an account of `unitCode`. */
export async function assertMayManageAccountsOf(db: Executor, actor: Actor, unitCode: string): Promise<void> {
  assertRoleMay(actor, 'accounts.manage');
  const [unit] = await db.select({ code: adminUnits.code, parentCode: adminUnits.parentCode }).from(adminUnits).where(eq(adminUnits.code, unitCode)).limit(1);
  if (!unit) throw new NotFoundError('Administrative unit', unitCode);
  if (!unitInSubtree(actor.unitCode, unit)) throw new ForbiddenError('This account belongs to another unit');
}

/**
 * The dashboard's province for this actor: national staff choose any (or all); a province's
 * staff see their own province only. The dashboard has no finer cut, so commune accounts have none.
 */
export async function dashboardProvinceFor(db: Executor, actor: Actor, requested: string | undefined): Promise<string | undefined> {
  assertRoleMay(actor, 'report.read');
  if (actor.unitCode === NATIONAL_UNIT) return requested;
  const [unit] = await db.select({ level: adminUnits.level }).from(adminUnits).where(eq(adminUnits.code, actor.unitCode)).limit(1);
  if (unit?.level !== 'province') throw new ForbiddenError('The dashboard covers provinces; a commune reads its meetings instead');
  if (requested !== undefined && requested !== actor.unitCode) throw new ForbiddenError('You can see your own province only');
  return actor.unitCode;
}

/** The local mail folder holds every message to every site: national staff only. */
export function assertMayReadMailFolder(actor: Actor): void {
  assertRoleMay(actor, 'mail.read');
  if (actor.unitCode !== NATIONAL_UNIT) throw new ForbiddenError('The mail folder is kept by national staff');
}

/** The conference servers carry every province's meetings: national admins only. */
export function assertMayManageNodes(actor: Actor): void {
  assertRoleMay(actor, 'nodes.manage');
  if (actor.unitCode !== NATIONAL_UNIT) throw new ForbiddenError('The conference servers are run by national staff');
}

/** Whether a site's contacts may be shown to the actor. */
export function contactsVisible(actor: Actor, site: { unitCode: string; parentCode: string | null }): boolean {
  return unitInSubtree(actor.unitCode, { code: site.unitCode, parentCode: site.parentCode });
}
