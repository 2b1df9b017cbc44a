/**
 * Server-side sessions. The cookie holds 256 random bits; the table holds only their SHA-256,
 * so a leaked database cannot be replayed as cookies. A new id is issued at every sign-in
 * (session fixation) and the row is deleted at sign-out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, lt } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { authSessions, users } from '../../db/schema.ts';
import type { AuthenticatedUser } from '../context.ts';

export const SESSION_COOKIE = 'hoinghi_session';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function createSession(db: Database, userId: string, now: Date, ttlHours: number): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecretToken();
  const expiresAt = new Date(now.getTime() + ttlHours * 3600_000);
  await db.insert(authSessions).values({ idHash: hashToken(token), userId, expiresAt });
  // Opportunistic clean-up keeps the table small without a scheduler.
  await db.delete(authSessions).where(lt(authSessions.expiresAt, now));
  return { token, expiresAt };
}

export async function findSessionUser(db: Database, token: string, now: Date): Promise<AuthenticatedUser | null> {
  if (token.length > 200) return null;
  const [row] = await db
    .select({ id: users.id, email: users.email, displayName: users.displayName, role: users.role })
    .from(authSessions)
    .innerJoin(users, eq(users.id, authSessions.userId))
    .where(and(eq(authSessions.idHash, hashToken(token)), gt(authSessions.expiresAt, now), eq(users.active, true)))
    .limit(1);
  return row ?? null;
}

export async function destroySession(db: Database, token: string): Promise<void> {
  await db.delete(authSessions).where(eq(authSessions.idHash, hashToken(token)));
}
