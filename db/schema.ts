/**
 * The relational model of hoinghi. drizzle-kit generates the SQL migrations in db/migrations
 * from this file (`npm run db:generate`); both drivers (PGlite and postgres.js) apply the same
 * migrations at start-up.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const unitLevel = pgEnum('unit_level', ['national', 'province', 'commune']);
export const siteKind = pgEnum('site_kind', ['hall', 'commune', 'department']);
export const userRole = pgEnum('user_role', ['secretariat', 'leader', 'admin']);
export const meetingStatus = pgEnum('meeting_status', ['scheduled', 'cancelled']);
export const participantRole = pgEnum('participant_role', ['host', 'participant']);

/**
 * Vietnam's administrative tree after Resolution 202/2025/QH15: the nation, 34 provinces and
 * 3,321 communes/wards. The official code is the key (province "44", commune "19165"; the
 * nation is "VN"), so seeds and imports can refer to units without lookups.
 */
export const adminUnits = pgTable(
  'admin_units',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    /** "Tỉnh", "Thành phố Trung Ương", "Xã", "Phường", "Đặc khu". */
    placeType: text('place_type'),
    level: unitLevel('level').notNull(),
    parentCode: text('parent_code').references((): any => adminUnits.code),
  },
  (t) => [index('admin_units_parent_idx').on(t.parentCode), index('admin_units_level_idx').on(t.level)],
);

/** A conference point (điểm cầu): the hall of a province or the nation, a commune, a department. */
export const sites = pgTable(
  'sites',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    unitCode: text('unit_code')
      .notNull()
      .references(() => adminUnits.code),
    name: text('name').notNull(),
    kind: siteKind('kind').notNull(),
    contactEmails: text('contact_emails').array().notNull().default(sql`'{}'::text[]`),
    contactPhone: text('contact_phone'),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('sites_unit_name_uq').on(t.unitCode, t.name), index('sites_unit_idx').on(t.unitCode)],
);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored lower-cased; the unique index makes sign-in case-insensitive. */
    email: text('email').notNull(),
    displayName: text('display_name').notNull(),
    role: userRole('role').notNull(),
    passwordHash: text('password_hash').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_uq').on(t.email)],
);

/** Browser sessions. Only the SHA-256 of the cookie value is stored, never the value itself. */
export const authSessions = pgTable(
  'auth_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('auth_sessions_user_idx').on(t.userId)],
);

export const meetings = pgTable(
  'meetings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** iCalendar UID: fixed for the meeting's whole life so every update lands on the same event. */
    uid: text('uid').notNull(),
    title: text('title').notNull(),
    agenda: text('agenda'),
    hostSiteId: uuid('host_site_id')
      .notNull()
      .references(() => sites.id),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    status: meetingStatus('status').notNull().default('scheduled'),
    /** iCalendar SEQUENCE (RFC 5546): raised on every change that calendars must apply. */
    sequence: integer('sequence').notNull().default(0),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('meetings_uid_uq').on(t.uid),
    index('meetings_time_idx').on(t.startsAt, t.endsAt),
    check('meetings_end_after_start', sql`${t.endsAt} > ${t.startsAt}`),
    check('meetings_sequence_nonnegative', sql`${t.sequence} >= 0`),
  ],
);

export const meetingParticipants = pgTable(
  'meeting_participants',
  {
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    role: participantRole('role').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.meetingId, t.siteId] }), index('meeting_participants_site_idx').on(t.siteId)],
);

/** Who changed what, when. Written in the same transaction as the change it describes. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorUserId: uuid('actor_user_id').references(() => users.id),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_entity_idx').on(t.entity, t.entityId)],
);
