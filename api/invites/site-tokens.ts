/**
 * The unguessable links a site receives: join (the live meeting), readiness (the no-account
 * confirmation page) and calendar (a site's subscription feed). A token is 256 random bits in
 * base64url; only its SHA-256 is stored, so a copy of the database cannot be turned into links.
 *
 * Because the stored hash cannot be turned back into a link, every message mints fresh tokens
 * when it is rendered; all tokens of a (meeting, site) are revoked together when the site is
 * removed or the meeting cancelled, and expire when the meeting ends (moved with the meeting).
 *
 * A series' invitation carries series links (meetingId null, seriesId set): one join and one
 * readiness link for every occurrence, each opening the site's current or next occurrence
 * (SERIES_LINK_GRACE_MS after an occurrence's end it still opens that one, as a meeting may
 * overrun). They expire after the series' last occurrence; cancelling one occurrence leaves them.
 *
 * Tokens are secrets: never put one in a log line or an error message.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { meetingParticipants, meetings, siteTokens } from '../../db/schema.ts';
import { InvalidLinkError } from '../errors.ts';

export type SiteTokenPurpose = (typeof siteTokens.$inferSelect)['purpose'];

const TOKEN_BYTES = 32;
// 32 bytes in base64url without padding.
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function hashSiteToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

export interface VerifiedSiteToken {
  /** Null for a calendar token, which belongs to a site, not a meeting. */
  meetingId: string | null;
  siteId: string;
  expiresAt: Date | null;
}

/**
 * Mints one token per purpose for a site in a meeting, valid until `expiresAt` (the meeting's
 * end). One insert for all of them.
 */
export async function mintMeetingTokens<P extends 'join' | 'readiness'>(
  db: Executor,
  grant: { meetingId: string; siteId: string; expiresAt: Date; purposes: readonly P[] },
): Promise<Record<P, string>> {
  const tokens = grant.purposes.map((purpose) => ({ purpose, token: newToken() }));
  await db.insert(siteTokens).values(
    tokens.map(({ purpose, token }) => ({
      tokenHash: hashSiteToken(token),
      purpose,
      meetingId: grant.meetingId,
      siteId: grant.siteId,
      expiresAt: grant.expiresAt,
    })),
  );
  return Object.fromEntries(tokens.map(({ purpose, token }) => [purpose, token])) as Record<P, string>;
}

/**
 * The join/readiness tokens a calendar feed shows for one meeting, derived from the feed's own
 * token (HMAC-SHA256, 256 bits) instead of drawn at random: calendar apps re-fetch a feed every
 * hour, and random tokens would add rows on every fetch. The same feed token always yields the
 * same links, and their rows are inserted once (a revoked one stays revoked).
 */
export async function derivedMeetingTokens(
  db: Executor,
  feedToken: string,
  grant: { meetingId: string; siteId: string; expiresAt: Date },
): Promise<{ join: string; readiness: string }> {
  const derive = (purpose: string) => createHmac('sha256', feedToken).update(`${grant.meetingId}:${purpose}`).digest('base64url');
  const tokens = { join: derive('join'), readiness: derive('readiness') };
  await db
    .insert(siteTokens)
    .values(
      (['join', 'readiness'] as const).map((purpose) => ({
        tokenHash: hashSiteToken(tokens[purpose]),
        purpose,
        meetingId: grant.meetingId,
        siteId: grant.siteId,
        expiresAt: grant.expiresAt,
      })),
    )
    .onConflictDoNothing();
  return tokens;
}

/**
 * A join and a readiness token for each message of a batch, in one INSERT per 5,000 messages:
 * the dispatcher renders a whole batch before it sends any of it. The rows travel as one JSON
 * parameter (as the outbox's rows do): drizzle building, and the server parsing, 2,800 bound
 * parameters for a batch of 200 cost more than the insert itself.
 */
export async function mintMessageLinkTokens(
  db: Executor,
  grants: Array<{ meetingId: string | null; seriesId?: string | null; siteId: string; expiresAt: Date }>,
): Promise<Array<{ join: string; readiness: string }>> {
  const tokens = grants.map(() => ({ join: newToken(), readiness: newToken() }));
  const rows = grants.flatMap((grant, i) =>
    (['join', 'readiness'] as const).map((purpose) => ({
      token_hash: hashSiteToken(tokens[i]![purpose]),
      purpose,
      meeting_id: grant.meetingId,
      series_id: grant.seriesId ?? null,
      site_id: grant.siteId,
      expires_at: grant.expiresAt.toISOString(),
    })),
  );
  for (let i = 0; i < rows.length; i += 10_000) {
    await db.execute(sql`
      insert into ${siteTokens} (token_hash, purpose, meeting_id, series_id, site_id, expires_at)
      select r.token_hash, r.purpose, r.meeting_id, r.series_id, r.site_id, r.expires_at
      from json_populate_recordset(null::site_tokens, ${JSON.stringify(rows.slice(i, i + 10_000))}::json) as r`);
  }
  return tokens;
}

/** A calendar subscription token for a site: no meeting, no expiry, revocable. */
export async function mintCalendarToken(db: Executor, siteId: string): Promise<string> {
  const token = newToken();
  await db.insert(siteTokens).values({ tokenHash: hashSiteToken(token), purpose: 'calendar', meetingId: null, siteId, expiresAt: null });
  return token;
}

/**
 * Who a token speaks for, or InvalidLinkError: unknown (also for a token of another purpose, so a
 * readiness link cannot be used to join), expired, or revoked.
 */
export async function verifySiteToken(db: Executor, token: string, purpose: SiteTokenPurpose, now: Date): Promise<VerifiedSiteToken> {
  if (!TOKEN_PATTERN.test(token)) throw new InvalidLinkError('unknown');
  const [row] = await db
    .select({
      meetingId: siteTokens.meetingId,
      seriesId: siteTokens.seriesId,
      siteId: siteTokens.siteId,
      expiresAt: siteTokens.expiresAt,
      revokedAt: siteTokens.revokedAt,
    })
    .from(siteTokens)
    .where(and(eq(siteTokens.tokenHash, hashSiteToken(token)), eq(siteTokens.purpose, purpose)))
    .limit(1);
  if (!row) throw new InvalidLinkError('unknown');
  if (row.revokedAt) throw new InvalidLinkError('revoked');
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) throw new InvalidLinkError('expired');
  if (row.seriesId) {
    const meetingId = await currentOccurrence(db, row.seriesId, row.siteId, now);
    if (!meetingId) throw new InvalidLinkError('expired');
    return { meetingId, siteId: row.siteId, expiresAt: row.expiresAt };
  }
  return { meetingId: row.meetingId, siteId: row.siteId, expiresAt: row.expiresAt };
}

/** An occurrence still opens from a series link this long after its scheduled end (the conference's overrun grace). */
export const SERIES_LINK_GRACE_MS = 60 * 60_000;

/** The site's occurrence of a series that is running or comes next (cancelled ones and those it left skipped). */
export async function currentOccurrence(db: Executor, seriesId: string, siteId: string, now: Date): Promise<string | null> {
  const [row] = await db
    .select({ id: meetings.id })
    .from(meetings)
    .innerJoin(meetingParticipants, and(eq(meetingParticipants.meetingId, meetings.id), eq(meetingParticipants.siteId, siteId)))
    .where(and(eq(meetings.seriesId, seriesId), eq(meetings.status, 'scheduled'), gt(meetings.endsAt, new Date(now.getTime() - SERIES_LINK_GRACE_MS))))
    .orderBy(asc(meetings.startsAt))
    .limit(1);
  return row?.id ?? null;
}

/** Revokes every live token of a meeting, or of some of its sites. */
export async function revokeMeetingTokens(db: Executor, meetingId: string, now: Date, siteIds?: string[]): Promise<void> {
  const conditions: SQL[] = [eq(siteTokens.meetingId, meetingId), isNull(siteTokens.revokedAt)];
  if (siteIds) {
    if (siteIds.length === 0) return;
    conditions.push(inArray(siteTokens.siteId, siteIds));
  }
  await db
    .update(siteTokens)
    .set({ revokedAt: now })
    .where(and(...conditions));
}

/** Revokes a site's links of a series (when its links are rotated). */
export async function revokeSeriesTokens(db: Executor, seriesId: string, siteId: string, now: Date): Promise<void> {
  await db
    .update(siteTokens)
    .set({ revokedAt: now })
    .where(and(eq(siteTokens.seriesId, seriesId), eq(siteTokens.siteId, siteId), isNull(siteTokens.revokedAt)));
}

/** Revokes a site's calendar subscription links (when the secretariat rotates them). */
export async function revokeCalendarTokens(db: Executor, siteId: string, now: Date): Promise<void> {
  await db
    .update(siteTokens)
    .set({ revokedAt: now })
    .where(and(eq(siteTokens.siteId, siteId), eq(siteTokens.purpose, 'calendar'), isNull(siteTokens.revokedAt)));
}

/** A rescheduled meeting's links stay valid until its new end. */
export async function moveMeetingTokenExpiry(db: Executor, meetingId: string, endsAt: Date): Promise<void> {
  await db
    .update(siteTokens)
    .set({ expiresAt: endsAt })
    .where(and(eq(siteTokens.meetingId, meetingId), isNull(siteTokens.revokedAt)));
}

/**
 * The links as they appear in messages: the join link and the device check (readiness) link. The host hall's "join" link is its console, which needs
 * a signed-in secretariat of the meeting's unit: a link in an e-mail must never carry host
 * powers (giving the floor, muting, removing sites, ending the meeting), and the signaling
 * authenticator refuses a host site's join token for the same reason.
 */
export function siteLinks(publicUrl: string, tokens: { join: string; readiness: string }, host?: { meetingId: string }): { join: string; readiness: string } {
  return { join: host ? consoleUrl(publicUrl, host.meetingId) : `${publicUrl}/join/${tokens.join}`, readiness: deviceCheckUrl(publicUrl, tokens.readiness) };
}

/**
 * The "Kiểm tra thiết bị" link: the device check page of the readiness token, which leads on to
 * the readiness answer (/ready/:token) with the same token.
 */
export function deviceCheckUrl(publicUrl: string, readinessToken: string): string {
  return `${publicUrl}/ready/${readinessToken}/check`;
}

/** The host hall's link in a series' invitation: it opens the console of the running or next occurrence. */
export function seriesConsoleUrl(publicUrl: string, seriesId: string): string {
  return `${publicUrl}/meetings/series/${seriesId}/console`;
}

export function consoleUrl(publicUrl: string, meetingId: string): string {
  return `${publicUrl}/meetings/${meetingId}/console`;
}

export function calendarFeedUrl(publicUrl: string, siteId: string, token: string): string {
  return `${publicUrl}/calendar/sites/${siteId}.ics?token=${token}`;
}
