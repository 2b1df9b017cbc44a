/**
 * /api/auth: sign-in, sign-out, "who am I", one's own password and sign-ins, the forgotten-password
 * link; /api/users: accounts, managed by the admins of their unit (api/auth/policy.ts).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, AppEnv } from '../context.ts';
import { NotFoundError, UnauthorizedError } from '../errors.ts';
import { toVietnamIso } from '../time.ts';
import { parseJsonBody, parseParam, uuidParam } from '../validation.ts';
import { changePasswordInput, completeResetInput, forgotPasswordInput, resetPasswordInput, type AccountService } from './accounts.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { requireAction } from './middleware.ts';
import { assertMayManageAccountsOf } from './policy.ts';
import { currentSignInToken, signIn, signOut } from './sign-in.ts';
import { listSignIns, revokeSignIn } from './sign-ins.ts';
import { createUser, newUserInput } from './users.ts';

export const credentialsInput = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(200) }).strict();
const empty = z.object({}).strict();

/** The signed-in user: the answer to signing in, to "who am I" and to creating an account. */
export const userBody = z
  .object({
    user: z
      .object({
        id: z.uuid(),
        email: z.string().min(3),
        displayName: z.string().min(1),
        role: z.enum(['secretariat', 'leader', 'admin']),
        unitCode: z.string().regex(/^(VN|\d{2}|\d{5})$/),
      })
      .strict(),
  })
  .strict();
type UserBody = z.input<typeof userBody>;

export function authRoutes(ctx: AppContext, limiter: LoginLimiter, accounts: AccountService) {
  const signedIn = (c: { get(key: 'user'): AppEnv['Variables']['user'] }) => {
    const user = c.get('user');
    if (!user) throw new UnauthorizedError();
    return user;
  };
  return (
    new Hono<AppEnv>()
      .post('/auth/login', async (c) => {
        const user = await signIn(ctx, limiter, c, await parseJsonBody(c, credentialsInput));
        return c.json({ user } satisfies UserBody);
      })
      .post('/auth/logout', async (c) => {
        await signOut(ctx, c);
        return c.body(null, 204);
      })
      .get('/auth/me', (c) => c.json({ user: signedIn(c) } satisfies UserBody))
      .post('/auth/password', async (c) => {
        const user = signedIn(c);
        await accounts.changeOwnPassword(user, currentSignInToken(ctx, c) ?? '', await parseJsonBody(c, changePasswordInput));
        return c.body(null, 204);
      })
      .get('/auth/sign-ins', async (c) => {
        const user = signedIn(c);
        const rows = await listSignIns(ctx.db, user.id, ctx.now(), currentSignInToken(ctx, c));
        return c.json({
          signIns: rows.map((r) => ({
            ...r,
            createdAt: toVietnamIso(r.createdAt),
            lastSeenAt: toVietnamIso(r.lastSeenAt),
            expiresAt: toVietnamIso(r.expiresAt),
          })),
        });
      })
      .delete('/auth/sign-ins/:id', async (c) => {
        const user = signedIn(c);
        const id = parseParam(c.req.param('id'), uuidParam, 'sign-in id');
        if (!(await revokeSignIn(ctx.db, user.id, id))) throw new NotFoundError('Sign-in', id);
        return c.body(null, 204);
      })
      // Answers 202 whether or not the address has an account (api/auth/accounts.ts).
      .post('/auth/forgot-password', async (c) => {
        await accounts.requestReset((await parseJsonBody(c, forgotPasswordInput)).email);
        return c.json({ message: 'If an active account has this address, a link to set a new password is on its way.' }, 202);
      })
      .post('/auth/reset-password', async (c) => {
        const input = await parseJsonBody(c, completeResetInput);
        await accounts.completeReset(input.token, input.password);
        return c.body(null, 204);
      })
      .get('/users', requireAction('accounts.manage'), async (c) => {
        const rows = await accounts.list(c.get('user')!);
        return c.json({ users: rows.map((u) => ({ ...u, createdAt: toVietnamIso(u.createdAt) })) });
      })
      .post('/users', requireAction('accounts.manage'), async (c) => {
        const actor = c.get('user')!;
        const input = await parseJsonBody(c, newUserInput);
        const unitCode = input.unitCode ?? actor.unitCode;
        await assertMayManageAccountsOf(ctx.db, actor, unitCode);
        const user = await createUser(ctx.db, { ...input, unitCode }, actor.id);
        return c.json({ user } satisfies UserBody, 201);
      })
      .post('/users/:id/deactivate', requireAction('accounts.manage'), async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'account id');
        await parseJsonBody(c, empty);
        const user = await accounts.deactivate(c.get('user')!, id);
        return c.json({ user: { ...user, createdAt: toVietnamIso(user.createdAt) } });
      })
      .post('/users/:id/reactivate', requireAction('accounts.manage'), async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'account id');
        await parseJsonBody(c, empty);
        const user = await accounts.reactivate(c.get('user')!, id);
        return c.json({ user: { ...user, createdAt: toVietnamIso(user.createdAt) } });
      })
      .post('/users/:id/password', requireAction('accounts.manage'), async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'account id');
        const input = await parseJsonBody(c, resetPasswordInput);
        await accounts.resetPassword(c.get('user')!, id, input.password);
        return c.body(null, 204);
      })
  );
}
