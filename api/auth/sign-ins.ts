/**
 * Sign-ins, kept on the server. The cookie holds 256 random bits; the table holds only their
 * SHA-256, so a leaked database cannot be replayed as cookies. A new id is issued at every
 * sign-in (against session fixation) and the row is deleted at sign-out, by the account itself
 * from its list of sign-ins, and when the account is deactivated or its password changes.
 *
 * A sign-in ends at its absolute expiry (SIGN_IN_TTL_HOURS) or after SIGN_IN_IDLE_MINUTES
 * without a request, whichever comes first. Every look-up reads the database (no cache), so an
 * ended sign-in is refused at its very next request.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, lt, ne, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { signIns, users } from '../../db/schema.ts';
import type { AuthenticatedUser } from '../context.ts';

/**
 * Over https the cookie is `__Host-` prefixed: the browser then accepts it only with Secure,
 * Path=/ and no Domain, so a neighbouring subdomain cannot plant or overwrite it.
 */
export const SIGN_IN_COOKIE = 'hoinghi_signin';
export const SECURE_SIGN_IN_COOKIE = `__Host-${SIGN_IN_COOKIE}`;

export function signInCookieName(https: boolean): string {
  return https ? SECURE_SIGN_IN_COOKIE : SIGN_IN_COOKIE;
}

/** The last request is recorded at most this often: one write a minute per browser, not per request. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function createSignIn(db: Executor, userId: string, now: Date, ttlHours: number, userAgent?: string): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecretToken();
  const expiresAt = new Date(now.getTime() + ttlHours * 3600_000);
  await db.insert(signIns).values({ idHash: hashToken(token), userId, expiresAt, lastSeenAt: now, userAgent: userAgent?.slice(0, 300) ?? null });
  // Opportunistic clean-up keeps the table small without a scheduler.
  await db.delete(signIns).where(lt(signIns.expiresAt, now));
  return { token, expiresAt };
}

export interface SignInPolicy {
  idleMinutes: number;
}

export async function findSignedInUser(db: Executor, token: string, now: Date, policy: SignInPolicy): Promise<AuthenticatedUser | null> {
  if (token.length > 200) return null;
  const idHash = hashToken(token);
  const idleSince = new Date(now.getTime() - policy.idleMinutes * 60_000);
  const [row] = await db
    .select({ id: users.id, email: users.email, displayName: users.displayName, role: users.role, unitCode: users.unitCode, lastSeenAt: signIns.lastSeenAt })
    .from(signIns)
    .innerJoin(users, eq(users.id, signIns.userId))
    .where(and(eq(signIns.idHash, idHash), gt(signIns.expiresAt, now), gt(signIns.lastSeenAt, idleSince), eq(users.active, true)))
    .limit(1);
  if (!row) return null;
  if (now.getTime() - row.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
    await db.update(signIns).set({ lastSeenAt: now }).where(eq(signIns.idHash, idHash));
  }
  const { lastSeenAt: _, ...user } = row;
  return user;
}

export async function endSignIn(db: Executor, token: string): Promise<void> {
  await db.delete(signIns).where(eq(signIns.idHash, hashToken(token)));
}

/** Ends every sign-in of an account, or every one but the caller's own (after a password change). */
export async function endSignInsOf(db: Executor, userId: string, except?: { token: string }): Promise<number> {
  const rows = await db
    .delete(signIns)
    .where(and(eq(signIns.userId, userId), except ? ne(signIns.idHash, hashToken(except.token)) : undefined))
    .returning({ publicId: signIns.publicId });
  return rows.length;
}

export async function listSignIns(db: Executor, userId: string, now: Date, currentToken: string | undefined) {
  const currentHash = currentToken ? hashToken(currentToken) : null;
  const rows = await db
    .select({ publicId: signIns.publicId, idHash: signIns.idHash, createdAt: signIns.createdAt, lastSeenAt: signIns.lastSeenAt, expiresAt: signIns.expiresAt, userAgent: signIns.userAgent })
    .from(signIns)
    .where(and(eq(signIns.userId, userId), gt(signIns.expiresAt, now)))
    .orderBy(desc(signIns.lastSeenAt));
  return rows.map(({ idHash, ...row }) => ({ ...row, current: idHash === currentHash }));
}

/** Ends one of the account's own sign-ins; false when it has no such sign-in. */
export async function revokeSignIn(db: Executor, userId: string, publicId: string): Promise<boolean> {
  const rows = await db
    .delete(signIns)
    .where(and(eq(signIns.userId, userId), eq(signIns.publicId, sql`${publicId}::uuid`)))
    .returning({ publicId: signIns.publicId });
  return rows.length > 0;
}
