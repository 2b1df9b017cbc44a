/** Sign-in and sign-out, shared by the JSON API and the login page. */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { auditLog } from '../../db/schema.ts';
import type { AppContext, AppEnv, AuthenticatedUser } from '../context.ts';
import { UnauthorizedError } from '../errors.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { clientAddress, isHttps } from './middleware.ts';
import { dummyPasswordHash, verifyPassword } from './passwords.ts';
import { createSignIn, endSignIn, signInCookieName } from './sign-ins.ts';
import { findUserByEmail } from './users.ts';

export async function signIn(
  ctx: AppContext,
  limiter: LoginLimiter,
  c: Context<AppEnv>,
  credentials: { email: string; password: string },
): Promise<AuthenticatedUser> {
  const email = credentials.email.trim().toLowerCase();
  const address = clientAddress(c, ctx.config.TRUST_PROXY);
  // Counted before the password is checked, so parallel attempts cannot outrun the limit.
  await limiter.beginAttempt(address, email);
  const user = await findUserByEmail(ctx.db, email);
  const valid = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), credentials.password);
  if (!user?.active || !valid) {
    c.get('log').info({ event: 'login.failed' }, 'sign-in refused');
    throw new UnauthorizedError('Wrong e-mail or password');
  }
  await limiter.succeeded(address, email);
  // A fresh cookie value at every sign-in; an old one presented with this request dies.
  const https = isHttps(c, ctx.config.TRUST_PROXY);
  const previous = getCookie(c, signInCookieName(https));
  if (previous) await endSignIn(ctx.db, previous);
  const signInRow = await createSignIn(ctx.db, user.id, ctx.now(), ctx.config.SIGN_IN_TTL_HOURS, c.req.header('user-agent'));
  setCookie(c, signInCookieName(https), signInRow.token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: https,
    path: '/',
    // Max-Age, not Expires: a commune PC whose clock is off by hours still keeps the cookie for
    // the sign-in's lifetime, counted on its own clock.
    maxAge: Math.max(0, Math.floor((signInRow.expiresAt.getTime() - ctx.now().getTime()) / 1000)),
  });
  await ctx.db.insert(auditLog).values({ actorUserId: user.id, action: 'user.sign_in', entity: 'user', entityId: user.id, details: {} });
  c.get('log').info({ event: 'login.ok', userId: user.id }, 'signed in');
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role, unitCode: user.unitCode };
}

export async function signOut(ctx: AppContext, c: Context<AppEnv>): Promise<void> {
  const https = isHttps(c, ctx.config.TRUST_PROXY);
  const token = getCookie(c, signInCookieName(https));
  if (token) await endSignIn(ctx.db, token);
  deleteCookie(c, signInCookieName(https), { path: '/', httpOnly: true, sameSite: 'Lax', secure: https });
}

/** The sign-in cookie's value on this request, if any. */
export function currentSignInToken(ctx: AppContext, c: Context<AppEnv>): string | undefined {
  return getCookie(c, signInCookieName(isHttps(c, ctx.config.TRUST_PROXY)));
}
