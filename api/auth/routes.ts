/** /api/auth: JSON sign-in, sign-out and "who am I"; /api/users: accounts (admin). */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, AppEnv } from '../context.ts';
import { UnauthorizedError } from '../errors.ts';
import { parseJsonBody } from '../validation.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { requireRole } from './middleware.ts';
import { signIn, signOut } from './sign-in.ts';
import { createUser, newUserInput } from './users.ts';

export const credentialsInput = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(200) }).strict();

/** The signed-in user: the answer to signing in, to "who am I" and to creating an account. */
export const userBody = z
  .object({
    user: z.object({ id: z.uuid(), email: z.string().min(3), displayName: z.string().min(1), role: z.enum(['secretariat', 'leader', 'admin']) }).strict(),
  })
  .strict();
type UserBody = z.input<typeof userBody>;

export function authRoutes(ctx: AppContext, limiter: LoginLimiter) {
  return new Hono<AppEnv>()
    .post('/auth/login', async (c) => {
      const user = await signIn(ctx, limiter, c, await parseJsonBody(c, credentialsInput));
      return c.json({ user } satisfies UserBody);
    })
    .post('/auth/logout', async (c) => {
      await signOut(ctx, c);
      return c.body(null, 204);
    })
    .get('/auth/me', (c) => {
      const user = c.get('user');
      if (!user) throw new UnauthorizedError();
      return c.json({ user } satisfies UserBody);
    })
    .post('/users', requireRole('admin'), async (c) => {
      const user = await createUser(ctx.db, await parseJsonBody(c, newUserInput), c.get('user')!.id);
      return c.json({ user } satisfies UserBody, 201);
    });
}
