/**
 * The meetings pages: the list, one meeting, the scheduling form and cancelling. They use the
 * same service as the JSON API, so a rule is enforced once; a refused form is shown again with
 * the person's input and a readable reason.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { meetingView, unitInSubtree } from '../../api/auth/policy.ts';
import type { AppContext, AppEnv, AuthenticatedUser } from '../../api/context.ts';
import { DomainError, NotFoundError, ValidationError } from '../../api/errors.ts';
import { translator } from '../../api/i18n/translator.ts';
import { createMeetingInput } from '../../api/meetings/schemas.ts';
import { getMeeting, listMeetings, type ConflictingMeeting } from '../../api/meetings/queries.ts';
import { ScheduleConflictError, type MeetingService } from '../../api/meetings/service.ts';
import { parseVietnamLocal, toVietnamIso } from '../../api/time.ts';
import { listSites, listUnits } from '../../api/units/service.ts';
import { parseFormBody, uuidParam } from '../../api/validation.ts';
import { pageAuth, signedInUser } from '../common/page-auth.ts';
import { describeError } from '../common/error-messages.ts';
import { MeetingListPage, MeetingPage } from './meeting-pages.tsx';
import { ScheduleFormPage, type ScheduleFormValues } from './schedule-form-page.tsx';
import { meetingTexts } from './texts.ts';

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

export function meetingPages(ctx: AppContext, meetings: MeetingService) {
  const app = new Hono<AppEnv>();

  app.get('/', pageAuth('meeting.read'), async (c) => {
    const user = signedInUser(c);
    const upcoming = await listMeetings(ctx.db, { from: ctx.now(), limit: 100 }, user);
    return c.html(<MeetingListPage lang={c.get('lang')} user={user} meetings={upcoming.meetings} />);
  });

  const renderForm = async (
    c: Context<AppEnv>,
    user: AuthenticatedUser,
    values: ScheduleFormValues,
    failure?: { status: number; message: string; conflicts?: ConflictingMeeting[] },
  ) => {
    const [allHalls, allProvinces] = await Promise.all([
      listSites(ctx.db, { kind: 'hall', limit: 5000 }),
      listUnits(ctx.db, { level: 'province', limit: 5000 }),
    ]);
    // Offer only what the account may host from and invite (api/auth/policy.ts).
    const halls = allHalls.filter((h) => unitInSubtree(user.unitCode, { code: h.unitCode, parentCode: h.parentCode }));
    const provinces = allProvinces.filter((p) => unitInSubtree(user.unitCode, p));
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

  app.get('/meetings/new', pageAuth('meeting.schedule'), async (c) => {
    const user = signedInUser(c);
    return renderForm(c, user, {});
  });

  app.post('/meetings/new', pageAuth('meeting.schedule'), async (c) => {
    const user = signedInUser(c);
    const raw = await parseFormBody(c, { all: true });
    const asList = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
    const form = scheduleForm.parse({
      ...Object.fromEntries(
        Object.entries(raw)
          .map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])
          .filter(([, v]) => typeof v === 'string'),
      ),
      unitCodes: asList(raw.unitCodes),
      siteIds: asList(raw.siteIds),
    });
    const values: ScheduleFormValues = { ...form, allowConflicts: form.allowConflicts === 'true' };
    try {
      const startsAt = parseVietnamLocal(`${form.date}T${form.startTime}`);
      const endsAt = parseVietnamLocal(`${form.date}T${form.endTime}`);
      if (!startsAt || !endsAt) throw new ValidationError(translator(meetingTexts, c.get('lang'))('invalidDateTime'));
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
      const meeting = await meetings.create(parsed.data, user);
      return c.redirect(`/meetings/${meeting.id}`, 303);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const conflicts = error instanceof ScheduleConflictError ? error.conflicts : undefined;
      return renderForm(c, user, values, { status: error.status, message: describeError(error, c.get('lang')), ...(conflicts ? { conflicts } : {}) });
    }
  });

  app.get('/meetings/:id', pageAuth('meeting.read'), async (c) => {
    const user = signedInUser(c);
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    await meetingView(ctx.db, user, id.data);
    return c.html(<MeetingPage lang={c.get('lang')} user={user} meeting={await getMeeting(ctx.db, id.data)} />);
  });

  app.post('/meetings/:id/cancel', pageAuth('meeting.manage'), async (c) => {
    const user = signedInUser(c);
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    try {
      await meetings.cancel(id.data, undefined, user);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 404 || error.status === 403) throw error;
      return c.html(
        <MeetingPage lang={c.get('lang')} user={user} meeting={await getMeeting(ctx.db, id.data)} error={describeError(error, c.get('lang'))} />,
        error.status as 409,
      );
    }
    return c.redirect(`/meetings/${id.data}`, 303);
  });

  return app;
}
