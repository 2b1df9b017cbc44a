/**
 * Sign-ins, kept on the server. The cookie holds 256 random bits; the table holds only their
 * SHA-256, so a leaked database cannot be replayed as cookies. A new id is issued at every
 * sign-in (against session fixation) and the row is deleted at sign-out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, lt } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { signIns, users } from '../../db/schema.ts';
import type { AuthenticatedUser } from '../context.ts';

export const SIGN_IN_COOKIE = 'hoinghi_signin';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function createSignIn(db: Database, userId: string, now: Date, ttlHours: number): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecretToken();
  const expiresAt = new Date(now.getTime() + ttlHours * 3600_000);
  await db.insert(signIns).values({ idHash: hashToken(token), userId, expiresAt });
  // Opportunistic clean-up keeps the table small without a scheduler.
  await db.delete(signIns).where(lt(signIns.expiresAt, now));
  return { token, expiresAt };
}

export async function findSignedInUser(db: Database, token: string, now: Date): Promise<AuthenticatedUser | null> {
  if (token.length > 200) return null;
  const [row] = await db
    .select({ id: users.id, email: users.email, displayName: users.displayName, role: users.role })
    .from(signIns)
    .innerJoin(users, eq(users.id, signIns.userId))
    .where(and(eq(signIns.idHash, hashToken(token)), gt(signIns.expiresAt, now), eq(users.active, true)))
    .limit(1);
  return row ?? null;
}

export async function endSignIn(db: Database, token: string): Promise<void> {
  await db.delete(signIns).where(eq(signIns.idHash, hashToken(token)));
}
