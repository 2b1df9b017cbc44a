/**
 * Server-rendered pages. They use the same services as the JSON API, so a rule is enforced
 * once; a refused form is shown again with the person's input and a readable reason.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { AppServices } from '../api/app.ts';
import { signIn, signOut } from '../api/auth/sign-in.ts';
import type { AppContext, AppEnv, AuthenticatedUser, Role } from '../api/context.ts';
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from '../api/errors.ts';
import { createMeetingInput } from '../api/meetings/schemas.ts';
import type { ConflictingMeeting } from '../api/meetings/service.ts';
import { parseVietnamLocal, toVietnamIso } from '../api/time.ts';
import { listSites, listUnits } from '../api/units/service.ts';
import { parseFormBody, uuidParam } from '../api/validation.ts';
import { loadAsset } from './assets.ts';
import { describeError } from './error-messages.ts';
import { invitePageRoutes } from './invite-routes.tsx';
import { LoginPage } from './pages/login.tsx';
import { MeetingListPage, MeetingPage } from './pages/meetings.tsx';
import { ScheduleFormPage, type ScheduleFormValues } from './pages/schedule-form.tsx';

/** Only same-site relative paths may be a post-login destination (no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/(?!\/)[\w\-./?=&%]*$/.test(next) ? next : '/';
}

export function pageUser(c: Context<AppEnv>, ...roles: Role[]): AuthenticatedUser | Response {
  const user = c.get('user');
  if (!user) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
  if (roles.length && user.role !== 'admin' && !roles.includes(user.role)) throw new ForbiddenError();
  return user;
}

const scheduleForm = z.object({
  title: z.string().default(''),
  agenda: z.string().default(''),
  hostSiteId: z.string().default(''),
  date: z.string().default(''),
  startTime: z.string().default(''),
  endTime: z.string().default(''),
  unitCodes: z.array(z.string()).default([]),
  siteIds: z.array(z.string()).default([]),
  allowConflicts: z.string().optional(),
});

export function pageRoutes(ctx: AppContext, services: AppServices) {
  const app = new Hono<AppEnv>();

  app.get('/static/:name', async (c) => {
    const asset = await loadAsset(c.req.param('name'));
    if (!asset) throw new NotFoundError('File', c.req.param('name'));
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache' });
  });

  app.route('/', invitePageRoutes(ctx, services));

  app.get('/login', (c) => c.html(<LoginPage lang={c.get('lang')} next={safeNext(c.req.query('next'))} />));

  app.post('/login', async (c) => {
    const next = safeNext(c.req.query('next'));
    const form = await parseFormBody(c);
    const email = typeof form.email === 'string' ? form.email : '';
    const password = typeof form.password === 'string' ? form.password : '';
    try {
      await signIn(ctx, services.loginLimiter, c, { email, password });
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

  app.get('/', async (c) => {
    const user = pageUser(c, 'secretariat', 'leader');
    if (user instanceof Response) return user;
    const meetings = await services.meetings.list({ from: ctx.now(), limit: 200 });
    return c.html(<MeetingListPage lang={c.get('lang')} user={user} meetings={meetings} />);
  });

  const renderForm = async (c: Context<AppEnv>, user: AuthenticatedUser, values: ScheduleFormValues, failure?: { status: number; message: string; conflicts?: ConflictingMeeting[] }) => {
    const [halls, provinces] = await Promise.all([listSites(ctx.db, { kind: 'hall', limit: 5000 }), listUnits(ctx.db, { level: 'province', limit: 5000 })]);
    const page = (
      <ScheduleFormPage
        lang={c.get('lang')}
        user={user}
        halls={halls}
        provinces={provinces.map((p) => ({ code: p.code, name: p.name, communeCount: p.childCount }))}
        values={values}
        {...(failure ? { error: failure.message, conflicts: failure.conflicts ?? [] } : {})}
      />
    );
    return c.html(page, (failure?.status ?? 200) as 200);
  };

  app.get('/meetings/new', async (c) => {
    const user = pageUser(c, 'secretariat');
    if (user instanceof Response) return user;
    return renderForm(c, user, {});
  });

  app.post('/meetings/new', async (c) => {
    const user = pageUser(c, 'secretariat');
    if (user instanceof Response) return user;
    const raw = await parseFormBody(c, { all: true });
    const asList = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
    const form = scheduleForm.parse({ ...Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]).filter(([, v]) => typeof v === 'string')), unitCodes: asList(raw.unitCodes), siteIds: asList(raw.siteIds) });
    const values: ScheduleFormValues = { ...form, allowConflicts: form.allowConflicts === 'true' };
    try {
      const startsAt = parseVietnamLocal(`${form.date}T${form.startTime}`);
      const endsAt = parseVietnamLocal(`${form.date}T${form.endTime}`);
      if (!startsAt || !endsAt) throw new ValidationError(c.get('lang') === 'vi' ? 'Ngày hoặc giờ không hợp lệ' : 'Invalid date or time');
      const parsed = createMeetingInput.safeParse({
        title: form.title,
        ...(form.agenda.trim() ? { agenda: form.agenda } : {}),
        hostSiteId: form.hostSiteId,
        startsAt: toVietnamIso(startsAt),
        endsAt: toVietnamIso(endsAt),
        siteIds: form.siteIds,
        unitCodes: form.unitCodes,
        allowConflicts: values.allowConflicts,
      });
      if (!parsed.success) throw ValidationError.fromZod(parsed.error);
      const meeting = await services.meetings.create(parsed.data, user);
      return c.redirect(`/meetings/${meeting.id}`, 303);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const conflicts = (error.details as { conflicts?: ConflictingMeeting[] } | undefined)?.conflicts;
      return renderForm(c, user, values, { status: error.status, message: describeError(error, c.get('lang')), ...(conflicts ? { conflicts } : {}) });
    }
  });

  app.get('/meetings/:id', async (c) => {
    const user = pageUser(c, 'secretariat', 'leader');
    if (user instanceof Response) return user;
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    return c.html(<MeetingPage lang={c.get('lang')} user={user} meeting={await services.meetings.get(id.data)} />);
  });

  app.post('/meetings/:id/cancel', async (c) => {
    const user = pageUser(c, 'secretariat');
    if (user instanceof Response) return user;
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    try {
      await services.meetings.cancel(id.data, undefined, user);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 404) throw error;
      return c.html(<MeetingPage lang={c.get('lang')} user={user} meeting={await services.meetings.get(id.data)} error={describeError(error, c.get('lang'))} />, error.status as 409);
    }
    return c.redirect(`/meetings/${id.data}`, 303);
  });

  return app;
}
