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
  customType,
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

/** Binary content; both drivers hand bytea over as a Buffer/Uint8Array. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

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
    /** The directory (api/directory): who answers for the hall, where it is, anything the secretariat must know. */
    responsiblePerson: text('responsible_person'),
    hallAddress: text('hall_address'),
    note: text('note'),
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
    /**
     * The unit the account acts for: "VN" (national staff), a province or a commune code. What
     * the account may see and do is this unit's subtree (api/auth/policy.ts).
     */
    unitCode: text('unit_code')
      .notNull()
      .default('VN')
      .references(() => adminUnits.code),
    passwordHash: text('password_hash').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_uq').on(t.email), index('users_unit_idx').on(t.unitCode)],
);

/** Sign-ins (one per browser signed in). Only the SHA-256 of the cookie value is stored, never the value itself. */
export const signIns = pgTable(
  'sign_ins',
  {
    idHash: text('id_hash').primaryKey(),
    /** What the account's own list of sign-ins shows and revokes by: not the cookie, not its hash. */
    publicId: uuid('public_id').notNull().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Last request seen (kept to the minute); an idle sign-in ends before its absolute expiry. */
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    userAgent: text('user_agent'),
  },
  (t) => [index('sign_ins_user_idx').on(t.userId), uniqueIndex('sign_ins_public_id_uq').on(t.publicId)],
);

/** Forgotten-password links: single use, 30 minutes. Only the SHA-256 of the token is stored. */
export const passwordResets = pgTable(
  'password_resets',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [index('password_resets_user_idx').on(t.userId)],
);

/**
 * A recurring meeting (api/meetings/series.ts): the rule and what every occurrence shares. Each
 * occurrence is an ordinary `meetings` row (series_id, occurrence_start), so attendance,
 * invitations, the console and the reports stay per occurrence; calendars get one iCalendar
 * series per site (UID = this uid, RRULE from `rule`, EXDATE for excluded dates).
 */
export const meetingSeries = pgTable('meeting_series', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** iCalendar UID of the series; "this and following" gives the new part a new series and UID. */
  uid: text('uid').notNull().unique(),
  title: text('title').notNull(),
  agenda: text('agenda'),
  referenceNumber: text('reference_number'),
  hostSiteId: uuid('host_site_id')
    .notNull()
    .references(() => sites.id),
  /** The recurrence as api/meetings/recurrence.ts validates it (frequency, weekday or date, until or count). */
  rule: jsonb('rule').$type<Record<string, unknown>>().notNull(),
  /** The first occurrence's start (DTSTART) and every occurrence's length. */
  firstStartsAt: timestamp('first_starts_at', { withTimezone: true }).notNull(),
  durationMinutes: integer('duration_minutes').notNull(),
  /** Set when "this and following" cut the series: the last occurrence start it keeps (RRULE UNTIL). */
  untilAt: timestamp('until_at', { withTimezone: true }),
  /** Occurrence starts (ISO) the secretariat dropped before sending (holidays): EXDATE. */
  excludedStarts: jsonb('excluded_starts').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  /** SEQUENCE of the series' master VEVENT. */
  sequence: integer('sequence').notNull().default(0),
  createdBy: uuid('created_by')
    .notNull()
    .references(() => users.id),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const meetings = pgTable(
  'meetings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** iCalendar UID: fixed for the meeting's whole life so every update lands on the same event. */
    uid: text('uid').notNull(),
    title: text('title').notNull(),
    agenda: text('agenda'),
    /** The office's reference number of the invitation letter (số hiệu văn bản), e.g. "125/GM-UBND". */
    referenceNumber: text('reference_number'),
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
    /** The secretariat's reason, sent with the cancellation. */
    cancelReason: text('cancel_reason'),
    /** When the host actually opened and closed the live session (null until it happens). */
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** The series this meeting is an occurrence of, and its original start (RECURRENCE-ID), which never moves. */
    seriesId: uuid('series_id').references(() => meetingSeries.id),
    occurrenceStart: timestamp('occurrence_start', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('meetings_uid_uq').on(t.uid),
    uniqueIndex('meetings_series_occurrence_uq').on(t.seriesId, t.occurrenceStart),
    check('meetings_occurrence_has_series', sql`(${t.seriesId} is null) = (${t.occurrenceStart} is null)`),
    index('meetings_time_idx').on(t.startsAt, t.endsAt),
    check('meetings_end_after_start', sql`${t.endsAt} > ${t.startsAt}`),
    check('meetings_sequence_nonnegative', sql`${t.sequence} >= 0`),
  ],
);

/**
 * The document an office sends with a meeting (the signed invitation letter or the agenda), as a
 * PDF: stored once per meeting, attached to every site's invitation and update, and linked from
 * the readiness page. Replacing it replaces the row.
 */
export const meetingAttachments = pgTable(
  'meeting_attachments',
  {
    meetingId: uuid('meeting_id')
      .primaryKey()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    /** Hex SHA-256 of the content: the download's ETag, and proof in the audit log of what was sent. */
    sha256: text('sha256').notNull(),
    content: bytea('content').notNull(),
    uploadedBy: uuid('uploaded_by')
      .notNull()
      .references(() => users.id),
    uploadedAt: createdAt(),
  },
  (t) => [check('meeting_attachments_size_positive', sql`${t.sizeBytes} > 0`)],
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

/**
 * A directory import as previewed: the file's lines already validated against the tree, kept
 * until the secretariat applies them (all, or only the valid ones), so the confirmation step
 * needs no second upload and the import itself is on record.
 */
export const directoryImportStatus = pgEnum('directory_import_status', ['previewed', 'applied', 'discarded']);
export const directoryImports = pgTable(
  'directory_imports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    unitCode: text('unit_code')
      .notNull()
      .references(() => adminUnits.code),
    fileName: text('file_name'),
    format: text('format').notNull(),
    status: directoryImportStatus('status').notNull().default('previewed'),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    appliedAt: timestamp('applied_at', { withTimezone: true }),
    lineCount: integer('line_count').notNull(),
    /** Valid lines: the site and the values to write (see api/directory/import.ts). */
    lines: jsonb('lines').$type<unknown[]>().notNull(),
    /** Refused lines: line number, code, problem. */
    problems: jsonb('problems').$type<unknown[]>().notNull(),
  },
  (t) => [index('directory_imports_unit_idx').on(t.unitCode, t.createdAt)],
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

// ---------------------------------------------------------------------------------------------
// Invitations, readiness answers and links (the invitations issue)

export const inviteMethod = pgEnum('invite_method', ['REQUEST', 'CANCEL']);
export const inviteKind = pgEnum('invite_kind', ['invite', 'update', 'cancel', 'reminder']);
/**
 * superseded: never sent because a later message to the same site made it pointless (a REQUEST
 * overtaken by a newer SEQUENCE or a CANCEL; a reminder after the site answered).
 */
export const inviteStatus = pgEnum('invite_status', ['queued', 'sending', 'sent', 'failed', 'superseded']);

/**
 * The transactional outbox: one row per message a site must receive, written in the same
 * transaction as the meeting change that causes it. The unique key is what makes a
 * (meeting, site, sequence) delivered at most once, however often the dispatcher restarts.
 */
export const invites = pgTable(
  'invites',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    sequence: integer('sequence').notNull(),
    method: inviteMethod('method').notNull(),
    kind: inviteKind('kind').notNull(),
    recipients: text('recipients').array().notNull(),
    status: inviteStatus('status').notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set while a dispatcher holds the row; a stale lease means that dispatcher died. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    messageId: text('message_id'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    /**
     * 0 for the message the meeting change caused; n for the secretariat's n-th deliberate resend
     * of an already *sent* message (a failed row is re-queued in place instead). Part of the key,
     * so automatic retries still cannot send one (meeting, site, sequence, kind) twice.
     */
    resend: integer('resend').notNull().default(0),
    /**
     * The message is the whole series (RRULE), not this occurrence: such rows hang on the series'
     * first occurrence and carry the series' SEQUENCE, a sequence space of their own.
     */
    wholeSeries: boolean('whole_series').notNull().default(false),
  },
  (t) => [
    uniqueIndex('invites_delivery_uq').on(t.meetingId, t.siteId, t.sequence, t.kind, t.resend, t.wholeSeries),
    index('invites_due_idx').on(t.status, t.nextAttemptAt),
    index('invites_meeting_idx').on(t.meetingId),
  ],
);

export const siteTokenPurpose = pgEnum('site_token_purpose', ['join', 'readiness', 'calendar']);

/**
 * Unguessable links for sites (256 random bits). Only the SHA-256 is stored. Join and readiness
 * tokens are bound to a meeting and a site and expire when the meeting ends; a calendar
 * subscription token is bound to a site only.
 */
export const siteTokens = pgTable(
  'site_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull(),
    purpose: siteTokenPurpose('purpose').notNull(),
    meetingId: uuid('meeting_id').references(() => meetings.id),
    /** A series link (meetingId null): it opens the site's current or next occurrence of the series. */
    seriesId: uuid('series_id').references(() => meetingSeries.id),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('site_tokens_hash_uq').on(t.tokenHash), index('site_tokens_meeting_site_idx').on(t.meetingId, t.siteId)],
);

export const rsvpAnswer = pgEnum('rsvp_answer', ['attending', 'declined']);

/** A site's latest readiness answer for a meeting; earlier answers stay in the audit log. */
export const rsvps = pgTable(
  'rsvps',
  {
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    answer: rsvpAnswer('answer').notNull(),
    reason: text('reason'),
    delegateName: text('delegate_name'),
    answeredAt: timestamp('answered_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.meetingId, t.siteId] })],
);

/**
 * A site's device checks (the rehearsal from its invitation's "Kiểm tra thiết bị" link): camera
 * and microphone found, and a short test connection to the SFU. Every check is kept; the
 * secretariat's readiness view shows each site's latest. RTT and loss are null when the test
 * connection did not reach the SFU.
 */
export const deviceChecks = pgTable(
  'device_checks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull(),
    /** A summary of the browser ("Chrome 131 · Linux"), not the whole user agent. */
    browser: text('browser').notNull(),
    cameraOk: boolean('camera_ok').notNull(),
    micOk: boolean('mic_ok').notNull(),
    rttMs: integer('rtt_ms'),
    /** Lost packets in tenths of a percent (0..1000): integer, so both drivers read it back alike. */
    lossPermille: integer('loss_permille'),
  },
  (t) => [
    index('device_checks_meeting_site_idx').on(t.meetingId, t.siteId, t.checkedAt),
    check('device_checks_rtt_ck', sql`${t.rttMs} is null or ${t.rttMs} >= 0`),
    check('device_checks_loss_ck', sql`${t.lossPermille} is null or (${t.lossPermille} >= 0 and ${t.lossPermille} <= 1000)`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Attendance (the live sessions and attendance issues)

export const attendanceEventKind = pgEnum('attendance_event_kind', ['join', 'leave', 'quality', 'floor-given', 'floor-taken']);

/**
 * Every fact the SFU reported, keyed by the producer's eventId so a replayed event is a no-op.
 * No foreign key cascades: attendance outlives cancellation, site removal and renames, and is
 * deleted only by the retention job.
 */
export const attendanceEvents = pgTable(
  'attendance_events',
  {
    eventId: text('event_id').primaryKey(),
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    kind: attendanceEventKind('kind').notNull(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    connectionId: text('connection_id'),
    /** The rest of the event (cause, quality figures) as validated by db/attendance-event.ts. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('attendance_events_meeting_idx').on(t.meetingId, t.siteId, t.at)],
);

/**
 * The computed attendance ledger of an ended meeting (api/attendance/stored-ledger.ts), so a
 * report reads one row instead of replaying ~67k events. `inputsHash` covers everything besides
 * the events the ledger depends on (window, thresholds, invited sites, names, readiness
 * answers); a late event deletes the row in its own transaction. Derived data: deleting every
 * row loses nothing.
 */
export const attendanceLedgers = pgTable('attendance_ledgers', {
  meetingId: uuid('meeting_id')
    .primaryKey()
    .references(() => meetings.id, { onDelete: 'cascade' }),
  inputsHash: text('inputs_hash').notNull(),
  /** Distinct events the ledger was computed from. */
  eventCount: integer('event_count').notNull(),
  /** The ledger as JSON (stored-ledger.ts encodes and decodes it). */
  ledger: text('ledger').notNull(),
  /** The report's JSON parts as sent (api/attendance/report.ts): head (phase, window, totals…) and the sites array. */
  reportHead: text('report_head').notNull(),
  reportSites: text('report_sites').notNull(),
  computedAt: timestamp('computed_at', { withTimezone: true }).notNull().defaultNow(),
});

// ---------------------------------------------------------------------------------------------
// SFU nodes and where each site of a meeting is placed (api/nodes)

/**
 * A media node: one process with signaling and mediasoup workers, registered by itself at
 * start-up and kept alive by its heartbeat. A node whose heartbeat is older than the dead-after
 * window is out of placement at once, and the next live node to look declares it dead
 * (`deadAt`); a heartbeat brings it back. `load` is the sites connected at the last heartbeat;
 * placement adds the sites placed here since (site_placements), which may not have connected yet.
 */
export const sfuNodes = pgTable(
  'sfu_nodes',
  {
    id: text('id').primaryKey(),
    /** ws(s)://host/ws: where a site placed here opens its signaling socket. */
    signalingUrl: text('signaling_url').notNull(),
    /** The address announced to browsers for media (the announced address, else the listen IP). */
    mediaAddress: text('media_address').notNull(),
    /** Sites this node admits (SFU_MAX_SITES). */
    capacity: integer('capacity').notNull(),
    /** The operator's "take no new sites" (kept across restarts). */
    draining: boolean('draining').notNull().default(false),
    load: integer('load').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true, precision: 3 }).notNull(),
    deadAt: timestamp('dead_at', { withTimezone: true, precision: 3 }),
    /** When the operator last moved this node's sites to other nodes (before maintenance); the node tells them to rejoin. */
    sitesMovedAt: timestamp('sites_moved_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [check('sfu_nodes_capacity_positive', sql`${t.capacity} >= 1`), check('sfu_nodes_load_nonnegative', sql`${t.load} >= 0`)],
);

/** The operator's map: a province's sites go to this node while it is alive, not draining and not full. */
export const provinceNodes = pgTable('province_nodes', {
  provinceCode: text('province_code')
    .primaryKey()
    .references(() => adminUnits.code),
  nodeId: text('node_id')
    .notNull()
    .references(() => sfuNodes.id, { onDelete: 'cascade' }),
  updatedAt: updatedAt(),
});

/**
 * The node each site of a meeting was sent to, or (nodeId null) the moment it was refused
 * because every node was full. A site keeps its node for the meeting while that node lives; the
 * host site's node is the meeting's origin.
 */
export const sitePlacements = pgTable(
  'site_placements',
  {
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    nodeId: text('node_id').references(() => sfuNodes.id, { onDelete: 'set null' }),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.meetingId, t.siteId] }), index('site_placements_node_idx').on(t.nodeId)],
);
