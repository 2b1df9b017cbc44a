/**
 * Signing in and out through pages. A refused sign-in shows the form again with the e-mail kept
 * and a readable reason; after signing in the person lands where they were going.
 */
import { Hono } from 'hono';
import type { LoginLimiter } from '../../api/auth/login-limiter.ts';
import { signIn, signOut } from '../../api/auth/sign-in.ts';
import type { AppContext, AppEnv } from '../../api/context.ts';
import { DomainError } from '../../api/errors.ts';
import { parseFormBody } from '../../api/validation.ts';
import { describeError } from '../common/error-messages.ts';
import { LoginPage } from './login-page.tsx';

/** Only same-site relative paths may be a post-login destination (no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/(?!\/)[\w\-./?=&%]*$/.test(next) ? next : '/';
}

export function authPages(ctx: AppContext, loginLimiter: LoginLimiter) {
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

  return app;
}
