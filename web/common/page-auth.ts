/**
 * Who may open a page. `pageAuth(...roles)` runs before a page handler: without a sign-in it
 * redirects to the login page (and back afterwards); with the wrong role it refuses (403).
 * Admins may open every page. Behind it, `signedInUser(c)` is the user the guard let through.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv, AuthenticatedUser, Role } from '../../api/context.ts';
import { ForbiddenError } from '../../api/errors.ts';

export function pageAuth(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (!user) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
    if (roles.length && user.role !== 'admin' && !roles.includes(user.role)) throw new ForbiddenError();
    await next();
  };
}

/** The user `pageAuth` let through; calling it on a route without the guard is a programming error. */
export function signedInUser(c: Context<AppEnv>): AuthenticatedUser {
  const user = c.get('user');
  if (!user) throw new Error('signedInUser() on a route without pageAuth()');
  return user;
}
