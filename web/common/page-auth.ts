/**
 * Who may open a page. `pageAuth(action)` runs before a page handler: without a sign-in it
 * redirects to the login page (and back afterwards); when the role may not attempt the action
 * (api/auth/policy.ts) it refuses (403). The unit checks follow in the handler.
 * Behind it, `signedInUser(c)` is the user the guard let through.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { roleMay, type Action } from '../../api/auth/policy.ts';
import type { AppEnv, AuthenticatedUser } from '../../api/context.ts';
import { ForbiddenError } from '../../api/errors.ts';

export function pageAuth(action: Action): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (!user) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
    if (!roleMay(user.role, action)) throw new ForbiddenError();
    await next();
  };
}

/** The user `pageAuth` let through; calling it on a route without the guard is a programming error. */
export function signedInUser(c: Context<AppEnv>): AuthenticatedUser {
  const user = c.get('user');
  if (!user) throw new Error('signedInUser() on a route without pageAuth()');
  return user;
}
