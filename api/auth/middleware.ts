/** Who is asking: the sign-in cookie becomes `c.var.user`; guards check the role. */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AppContext, AppEnv } from '../context.ts';
import { roleMay, type Action } from './policy.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import { findSignedInUser, signInCookieName } from './sign-ins.ts';

export function loadUser(ctx: AppContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = getCookie(c, signInCookieName(isHttps(c, ctx.config.TRUST_PROXY)));
    c.set(
      'user',
      token ? await findSignedInUser(ctx.db, token, ctx.now(), { cacheMs: ctx.config.SIGN_IN_CACHE_MS, idleMinutes: ctx.config.SIGN_IN_IDLE_MINUTES }) : null,
    );
    await next();
  };
}

/**
 * API guard: 401 without a sign-in, 403 when the account's role may not attempt the action
 * (api/auth/policy.ts; the unit checks follow in the handler, once the object is known).
 */
export function requireAction(action: Action): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (!user) throw new UnauthorizedError();
    if (!roleMay(user.role, action)) throw new ForbiddenError();
    await next();
  };
}

export function isHttps(c: Context, trustProxy: boolean): boolean {
  if (trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https') return true;
  return new URL(c.req.url).protocol === 'https:';
}

export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    // The proxy appends the address it saw to whatever X-Forwarded-For the client sent, so
    // only the last entry is not the client's own claim (one trusted proxy in front). Taking
    // the first let anyone pick a fresh address per request and escape the sign-in limits.
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // app.request() in tests has no socket.
    return 'unknown';
  }
}
