/** Sign-in and sign-out, shared by the JSON API and the login page. */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppContext, AppEnv, AuthenticatedUser } from '../context.ts';
import { UnauthorizedError } from '../errors.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { clientAddress, isHttps } from './middleware.ts';
import { dummyPasswordHash, verifyPassword } from './passwords.ts';
import { createSession, destroySession, SESSION_COOKIE } from './sessions.ts';
import { findUserByEmail } from './users.ts';

export async function signIn(
  ctx: AppContext,
  limiter: LoginLimiter,
  c: Context<AppEnv>,
  credentials: { email: string; password: string },
): Promise<AuthenticatedUser> {
  const email = credentials.email.trim().toLowerCase();
  const address = clientAddress(c, ctx.config.TRUST_PROXY);
  await limiter.assertAllowed(address, email);
  const user = await findUserByEmail(ctx.db, email);
  const valid = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), credentials.password);
  if (!user || !user.active || !valid) {
    await limiter.recordFailure(address, email);
    c.get('log').info({ event: 'login.failed' }, 'sign-in refused');
    throw new UnauthorizedError('Wrong e-mail or password');
  }
  await limiter.recordSuccess(address, email);
  // A fresh session id at every sign-in; an old one presented with this request dies.
  const previous = getCookie(c, SESSION_COOKIE);
  if (previous) await destroySession(ctx.db, previous);
  const session = await createSession(ctx.db, user.id, ctx.now(), ctx.config.SESSION_TTL_HOURS);
  setCookie(c, SESSION_COOKIE, session.token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c, ctx.config.TRUST_PROXY),
    path: '/',
    expires: session.expiresAt,
  });
  c.get('log').info({ event: 'login.ok', userId: user.id }, 'signed in');
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role };
}

export async function signOut(ctx: AppContext, c: Context<AppEnv>): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await destroySession(ctx.db, token);
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Lax', secure: isHttps(c, ctx.config.TRUST_PROXY) });
}
