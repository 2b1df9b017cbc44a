/** Sign-in and sign-out, shared by the JSON API and the login page. */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppContext, AppEnv, AuthenticatedUser } from '../context.ts';
import { UnauthorizedError } from '../errors.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { clientAddress, isHttps } from './middleware.ts';
import { dummyPasswordHash, verifyPassword } from './passwords.ts';
import { createSignIn, endSignIn, SIGN_IN_COOKIE } from './sign-ins.ts';
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
  if (!user?.active || !valid) {
    await limiter.recordFailure(address, email);
    c.get('log').info({ event: 'login.failed' }, 'sign-in refused');
    throw new UnauthorizedError('Wrong e-mail or password');
  }
  await limiter.recordSuccess(address, email);
  // A fresh cookie value at every sign-in; an old one presented with this request dies.
  const previous = getCookie(c, SIGN_IN_COOKIE);
  if (previous) await endSignIn(ctx.db, previous);
  const signInRow = await createSignIn(ctx.db, user.id, ctx.now(), ctx.config.SIGN_IN_TTL_HOURS);
  setCookie(c, SIGN_IN_COOKIE, signInRow.token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c, ctx.config.TRUST_PROXY),
    path: '/',
    expires: signInRow.expiresAt,
  });
  c.get('log').info({ event: 'login.ok', userId: user.id }, 'signed in');
  return { id: user.id, email: user.email, displayName: user.displayName, role: user.role };
}

export async function signOut(ctx: AppContext, c: Context<AppEnv>): Promise<void> {
  const token = getCookie(c, SIGN_IN_COOKIE);
  if (token) await endSignIn(ctx.db, token);
  deleteCookie(c, SIGN_IN_COOKIE, { path: '/', httpOnly: true, sameSite: 'Lax', secure: isHttps(c, ctx.config.TRUST_PROXY) });
}
