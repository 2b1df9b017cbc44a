/**
 * Sign-ins, kept on the server. The cookie holds 256 random bits; the table holds only their
 * SHA-256, so a leaked database cannot be replayed as cookies. A new id is issued at every
 * sign-in (against session fixation) and the row is deleted at sign-out, by the account itself
 * from its list of sign-ins, and when the account is deactivated or its password changes.
 * A sign-in ends at its absolute expiry (SIGN_IN_TTL_HOURS) or after SIGN_IN_IDLE_MINUTES without
 * a request, whichever comes first.
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
import { and, desc, eq, gt, lt, ne, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.ts';
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

export async function createSignIn(db: Database, userId: string, now: Date, ttlHours: number, userAgent?: string): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecretToken();
  const expiresAt = new Date(now.getTime() + ttlHours * 3600_000);
  await db.insert(signIns).values({ idHash: hashToken(token), userId, expiresAt, lastSeenAt: now, userAgent: userAgent?.slice(0, 300) ?? null });
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

export interface SignInLookup {
  /** How long a looked-up sign-in is reused; 0 turns the cache off. */
  cacheMs?: number;
  /** A sign-in without a request for this long has ended. */
  idleMinutes: number;
}

export async function findSignedInUser(db: Database, token: string, now: Date, options: SignInLookup): Promise<AuthenticatedUser | null> {
  const cacheMs = options.cacheMs ?? DEFAULT_SIGN_IN_CACHE_MS;
  const idleMinutes = options.idleMinutes;
  if (token.length > 200) return null;
  const idHash = hashToken(token);
  const cache = cacheOf(db);
  const cached = cache.get(idHash);
  if (cached && cached.freshUntil > performance.now()) return cached.user !== null && cached.expiresAt > now.getTime() ? cached.user : null;
  if (cacheMs <= 0) return (await lookUp(db, idHash, now, idleMinutes)).user;
  // Requests that arrive together with one cookie share one lookup (200 connections of one
  // browser would otherwise all ask at once whenever the entry goes stale).
  const flying = inFlight(db);
  let lookup = flying.get(idHash);
  if (!lookup) {
    const asked = performance.now();
    lookup = lookUp(db, idHash, now, idleMinutes).then((found) => {
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

async function lookUp(db: Database, idHash: string, now: Date, idleMinutes: number): Promise<{ user: AuthenticatedUser | null; expiresAt: number }> {
  const idleSince = new Date(now.getTime() - idleMinutes * 60_000);
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      role: users.role,
      unitCode: users.unitCode,
      expiresAt: signIns.expiresAt,
      lastSeenAt: signIns.lastSeenAt,
    })
    .from(signIns)
    .innerJoin(users, eq(users.id, signIns.userId))
    .where(and(eq(signIns.idHash, idHash), gt(signIns.expiresAt, now), gt(signIns.lastSeenAt, idleSince), eq(users.active, true)))
    .limit(1);
  if (!row) return { user: null, expiresAt: 0 };
  if (now.getTime() - row.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) await db.update(signIns).set({ lastSeenAt: now }).where(eq(signIns.idHash, idHash));
  // Reused from the cache for at most SIGN_IN_CACHE_MS, far below the idle timeout.
  return { user: { id: row.id, email: row.email, displayName: row.displayName, role: row.role, unitCode: row.unitCode }, expiresAt: row.expiresAt.getTime() };
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

/** Ends every sign-in of an account, or every one but the caller's own (after a password change). Call forgetSignIns after commit. */
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
    .select({
      publicId: signIns.publicId,
      idHash: signIns.idHash,
      createdAt: signIns.createdAt,
      lastSeenAt: signIns.lastSeenAt,
      expiresAt: signIns.expiresAt,
      userAgent: signIns.userAgent,
    })
    .from(signIns)
    .where(and(eq(signIns.userId, userId), gt(signIns.expiresAt, now)))
    .orderBy(desc(signIns.lastSeenAt));
  return rows.map(({ idHash, ...row }) => ({ ...row, current: idHash === currentHash }));
}

/** Ends one of the account's own sign-ins; false when it has no such sign-in. */
export async function revokeSignIn(db: Database, userId: string, publicId: string): Promise<boolean> {
  const rows = await db
    .delete(signIns)
    .where(and(eq(signIns.userId, userId), eq(signIns.publicId, sql`${publicId}::uuid`)))
    .returning({ publicId: signIns.publicId });
  forgetSignIns(db, { userId });
  return rows.length > 0;
}
