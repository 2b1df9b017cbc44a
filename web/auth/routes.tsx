/**
 * Signing in and out through pages, the forgotten-password pages, one's own account (password,
 * sign-ins) and the admins' account list. A refused form is shown again with a readable reason;
 * after signing in the person lands where they were going.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { changePasswordInput, completeResetInput, forgotPasswordInput, resetPasswordInput, type AccountService } from '../../api/auth/accounts.ts';
import type { LoginLimiter } from '../../api/auth/login-limiter.ts';
import { assertMayManageAccountsOf } from '../../api/auth/policy.ts';
import { currentSignInToken, signIn, signOut } from '../../api/auth/sign-in.ts';
import { listSignIns, revokeSignIn } from '../../api/auth/sign-ins.ts';
import { createUser, newUserInput } from '../../api/auth/users.ts';
import type { AppContext, AppEnv } from '../../api/context.ts';
import { DomainError, InvalidLinkError, NotFoundError, ValidationError } from '../../api/errors.ts';
import { parseFormBody, uuidParam } from '../../api/validation.ts';
import { describeError } from '../common/error-messages.ts';
import { pageAuth, signedInUser } from '../common/page-auth.ts';
import { AccountPage, ForgotPasswordPage, ResetPasswordPage, UsersPage } from './account-pages.tsx';
import { LoginPage } from './login-page.tsx';
import { accountTranslator } from './texts.ts';

/** Only same-site relative paths may be a post-login destination (no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/(?!\/)[\w\-./?=&%]*$/.test(next) ? next : '/';
}

const formText = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Any signed-in account (its own account page); without a sign-in, to the login page. */
const signedInPage: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get('user')) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
  await next();
};

export function authPages(ctx: AppContext, loginLimiter: LoginLimiter, accounts: AccountService) {
  const app = new Hono<AppEnv>();

  app.get('/login', (c) => c.html(<LoginPage lang={c.get('lang')} next={safeNext(c.req.query('next'))} />));

  app.post('/login', async (c) => {
    const next = safeNext(c.req.query('next'));
    const form = await parseFormBody(c);
    const email = typeof form.email === 'string' ? form.email : '';
    const password = typeof form.password === 'string' ? form.password : '';
    try {
      await signIn(ctx, loginLimiter, c, { email, password });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.status === 429) c.header('Retry-After', String((error as { retryAfterSeconds?: number }).retryAfterSeconds ?? 60));
      return c.html(<LoginPage lang={c.get('lang')} next={next} email={email} error={describeError(error, c.get('lang'))} />, error.status);
    }
    return c.redirect(next, 303);
  });

  app.post('/logout', async (c) => {
    await signOut(ctx, c);
    return c.redirect('/login', 303);
  });

  // Forgotten password: the same answer whether or not the address has an account.
  app.get('/forgot-password', (c) => c.html(<ForgotPasswordPage lang={c.get('lang')} sent={c.req.query('sent') === '1'} />));
  app.post('/forgot-password', async (c) => {
    const parsed = forgotPasswordInput.safeParse({ email: formText((await parseFormBody(c)).email) ?? '' });
    if (!parsed.success) return c.html(<ForgotPasswordPage lang={c.get('lang')} error={ValidationError.fromZod(parsed.error).message} />, 400);
    await accounts.requestReset(parsed.data.email);
    return c.redirect('/forgot-password?sent=1', 303);
  });

  // The link from the e-mail: a secret in the URL, so no Referer and no caching.
  app.get('/reset-password/:token', (c) => {
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
    return c.html(<ResetPasswordPage lang={c.get('lang')} action={`/reset-password/${encodeURIComponent(c.req.param('token'))}`} />);
  });
  app.post('/reset-password/:token', async (c) => {
    c.header('Referrer-Policy', 'no-referrer');
    const action = `/reset-password/${encodeURIComponent(c.req.param('token'))}`;
    const parsed = completeResetInput.safeParse({ token: c.req.param('token'), password: formText((await parseFormBody(c)).password) ?? '' });
    if (!parsed.success) return c.html(<ResetPasswordPage lang={c.get('lang')} action={action} error={ValidationError.fromZod(parsed.error).message} />, 400);
    try {
      await accounts.completeReset(parsed.data.token, parsed.data.password);
    } catch (error) {
      if (!(error instanceof InvalidLinkError)) throw error;
      return c.html(
        <ResetPasswordPage lang={c.get('lang')} action={action} error={accountTranslator(c.get('lang'))('resetLinkBad')} />,
        error.status as 404 | 410,
      );
    }
    return c.html(<ResetPasswordPage lang={c.get('lang')} action={action} done />);
  });

  // One's own account: password and sign-ins.
  const accountPage = async (c: Context<AppEnv>, extra: { notice?: string; error?: string; status?: number } = {}) => {
    const user = signedInUser(c);
    const signIns = await listSignIns(ctx.db, user.id, ctx.now(), currentSignInToken(ctx, c));
    return c.html(
      <AccountPage
        lang={c.get('lang')}
        user={user}
        signIns={signIns}
        {...(extra.notice ? { notice: extra.notice } : {})}
        {...(extra.error ? { error: extra.error } : {})}
      />,
      (extra.status ?? 200) as 200,
    );
  };
  app.get('/account', signedInPage, (c) => accountPage(c, c.req.query('done') === '1' ? { notice: accountTranslator(c.get('lang'))('passwordChanged') } : {}));
  app.post('/account/password', signedInPage, async (c) => {
    const form = await parseFormBody(c);
    const parsed = changePasswordInput.safeParse({ currentPassword: formText(form.currentPassword) ?? '', newPassword: formText(form.newPassword) ?? '' });
    if (!parsed.success) return accountPage(c, { error: ValidationError.fromZod(parsed.error).message, status: 400 });
    try {
      await accounts.changeOwnPassword(signedInUser(c), currentSignInToken(ctx, c) ?? '', parsed.data);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return accountPage(c, { error: describeError(error, c.get('lang')), status: error.status });
    }
    return c.redirect('/account?done=1', 303);
  });
  app.post('/account/sign-ins/:id/revoke', signedInPage, async (c) => {
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success || !(await revokeSignIn(ctx.db, signedInUser(c).id, id.data))) throw new NotFoundError('Sign-in', c.req.param('id'));
    return c.redirect('/account', 303);
  });

  // The admins' account list, within their unit (api/auth/policy.ts).
  const usersPage = async (c: Context<AppEnv>, extra: { notice?: string; error?: string; status?: number } = {}) => {
    const user = signedInUser(c);
    const users = await accounts.list(user);
    return c.html(
      <UsersPage
        lang={c.get('lang')}
        user={user}
        users={users}
        {...(extra.notice ? { notice: extra.notice } : {})}
        {...(extra.error ? { error: extra.error } : {})}
      />,
      (extra.status ?? 200) as 200,
    );
  };
  const adminAction = async (c: Context<AppEnv>, act: () => Promise<unknown>) => {
    try {
      await act();
    } catch (error) {
      // Refusals of the policy and missing accounts are the error page's; input problems stay on this page.
      if (!(error instanceof DomainError) || error.status === 403 || error.status === 404 || error.status >= 500) throw error;
      return usersPage(c, { error: describeError(error, c.get('lang')), status: error.status });
    }
    return c.redirect('/admin/users?done=1', 303);
  };
  app.get('/admin/users', pageAuth('accounts.manage'), (c) =>
    usersPage(c, c.req.query('done') === '1' ? { notice: accountTranslator(c.get('lang'))('done') } : {}),
  );
  app.post('/admin/users', pageAuth('accounts.manage'), async (c) => {
    const form = await parseFormBody(c);
    return adminAction(c, async () => {
      const parsed = newUserInput.safeParse({
        email: formText(form.email),
        displayName: formText(form.displayName),
        role: formText(form.role),
        unitCode: formText(form.unitCode),
        password: formText(form.password),
      });
      if (!parsed.success) throw ValidationError.fromZod(parsed.error);
      const actor = signedInUser(c);
      const unitCode = parsed.data.unitCode ?? actor.unitCode;
      await assertMayManageAccountsOf(ctx.db, actor, unitCode);
      await createUser(ctx.db, { ...parsed.data, unitCode }, actor.id);
    });
  });
  const accountId = (c: Context<AppEnv>) => {
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Account', c.req.param('id'));
    return id.data;
  };
  app.post('/admin/users/:id/deactivate', pageAuth('accounts.manage'), (c) => adminAction(c, () => accounts.deactivate(signedInUser(c), accountId(c))));
  app.post('/admin/users/:id/reactivate', pageAuth('accounts.manage'), (c) => adminAction(c, () => accounts.reactivate(signedInUser(c), accountId(c))));
  app.post('/admin/users/:id/password', pageAuth('accounts.manage'), async (c) => {
    const form = await parseFormBody(c);
    return adminAction(c, async () => {
      const parsed = resetPasswordInput.safeParse({ password: formText(form.password) ?? '' });
      if (!parsed.success) throw ValidationError.fromZod(parsed.error);
      await accounts.resetPassword(signedInUser(c), accountId(c), parsed.data.password);
    });
  });

  return app;
}
