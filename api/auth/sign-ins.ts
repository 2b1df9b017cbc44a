/**
 * Sign-ins, kept on the server. The cookie holds 256 random bits; the table holds only their
 * SHA-256, so a leaked database cannot be replayed as cookies. A new id is issued at every
 * sign-in (against session fixation) and the row is deleted at sign-out.
 *
 * Every request looks its sign-in up, so a looked-up sign-in is remembered for a moment
 * (SIGN_IN_CACHE_MS, default 2 s; 0 turns it off): under load the lookup was a database round
 * trip per request, and on PGlite, one connection for everything, the queue behind it. The
 * cache never outlives what it caches: sign-out (`endSignIn`) forgets the cookie at once, and
 * whatever ends sign-ins otherwise (deactivating an account, revoking sign-ins) calls
 * `forgetSignIns` in the same breath; a change that does neither is seen within the TTL.
 * The cache belongs to the database object, so every code path on one database shares it.
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

export const DEFAULT_SIGN_IN_CACHE_MS = 2000;
/** Bounds the cache's memory whatever cookies arrive (unknown ones are remembered as null). */
const MAX_CACHED = 10_000;

interface CachedSignIn {
  user: AuthenticatedUser | null;
  /** The sign-in's own expiry, checked against the app's clock at every use. */
  expiresAt: number;
  /** performance.now() after which the database is asked again. */
  freshUntil: number;
}

const caches = new WeakMap<object, Map<string, CachedSignIn>>();

function cacheOf(db: Database): Map<string, CachedSignIn> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  return cache;
}

export async function findSignedInUser(db: Database, token: string, now: Date, cacheMs = DEFAULT_SIGN_IN_CACHE_MS): Promise<AuthenticatedUser | null> {
  if (token.length > 200) return null;
  const idHash = hashToken(token);
  const cache = cacheOf(db);
  const cached = cache.get(idHash);
  if (cached && cached.freshUntil > performance.now()) return cached.user !== null && cached.expiresAt > now.getTime() ? cached.user : null;
  if (cacheMs <= 0) return (await lookUp(db, idHash, now)).user;
  // Requests that arrive together with one cookie share one lookup (200 connections of one
  // browser would otherwise all ask at once whenever the entry goes stale).
  const flying = inFlight(db);
  let lookup = flying.get(idHash);
  if (!lookup) {
    const asked = performance.now();
    lookup = lookUp(db, idHash, now).then((found) => {
      // A sign-out that ran while this lookup was on its way must win: only remember the
      // answer if nothing was forgotten since it was asked.
      if (forgottenAt(db) < asked) {
        if (cache.size >= MAX_CACHED) cache.clear();
        cache.set(idHash, { user: found.user, expiresAt: found.expiresAt, freshUntil: asked + cacheMs });
      }
      return found;
    });
    flying.set(idHash, lookup);
    void lookup.then(
      () => flying.get(idHash) === lookup && flying.delete(idHash),
      () => flying.get(idHash) === lookup && flying.delete(idHash),
    );
  }
  const found = await lookup;
  return found.user !== null && found.expiresAt > now.getTime() ? found.user : null;
}

async function lookUp(db: Database, idHash: string, now: Date): Promise<{ user: AuthenticatedUser | null; expiresAt: number }> {
  const [row] = await db
    .select({ id: users.id, email: users.email, displayName: users.displayName, role: users.role, expiresAt: signIns.expiresAt })
    .from(signIns)
    .innerJoin(users, eq(users.id, signIns.userId))
    .where(and(eq(signIns.idHash, idHash), gt(signIns.expiresAt, now), eq(users.active, true)))
    .limit(1);
  return row
    ? { user: { id: row.id, email: row.email, displayName: row.displayName, role: row.role }, expiresAt: row.expiresAt.getTime() }
    : { user: null, expiresAt: 0 };
}

const flights = new WeakMap<object, Map<string, Promise<{ user: AuthenticatedUser | null; expiresAt: number }>>>();
function inFlight(db: Database) {
  let map = flights.get(db);
  if (!map) {
    map = new Map();
    flights.set(db, map);
  }
  return map;
}

const lastForgotten = new WeakMap<object, number>();
const forgottenAt = (db: Database) => lastForgotten.get(db) ?? -1;

/**
 * Forgets cached sign-ins: one cookie's, every sign-in of one account (after deactivating it
 * or revoking its sign-ins), or all. Call it after the database change commits.
 */
export function forgetSignIns(db: Database, which: { token: string } | { userId: string } | 'all'): void {
  lastForgotten.set(db, performance.now());
  // A lookup on its way may have read the row before the change: later requests ask again.
  inFlight(db).clear();
  const cache = cacheOf(db);
  if (which === 'all') cache.clear();
  else if ('token' in which) cache.delete(hashToken(which.token));
  else for (const [key, entry] of cache) if (entry.user?.id === which.userId) cache.delete(key);
}

export async function endSignIn(db: Database, token: string): Promise<void> {
  await db.delete(signIns).where(eq(signIns.idHash, hashToken(token)));
  forgetSignIns(db, { token });
}
