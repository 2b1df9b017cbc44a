/**
 * The meetings pages: the list, one meeting, the scheduling form, editing (with a preview of
 * what each site will receive), copying and cancelling. They use the same service as the JSON
 * API, so a rule is enforced once; a refused form is shown again with the person's input and a
 * readable reason.
 */
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { assertMayManageMeeting, meetingView, NATIONAL_UNIT, unitInSubtree } from '../../api/auth/policy.ts';
import type { AppContext, AppEnv, AuthenticatedUser } from '../../api/context.ts';
import { DomainError, NotFoundError, ValidationError } from '../../api/errors.ts';
import { translator } from '../../api/i18n/translator.ts';
import { hasRealAddress } from '../../api/directory/addresses.ts';
import { communesWithoutAddressByProvince } from '../../api/directory/service.ts';
import { cancelMeetingInput, createMeetingInput, updateMeetingInput, type UpdateMeetingInput } from '../../api/meetings/schemas.ts';
import { attachmentContent, attachmentResponse, checkAttachment, type AttachmentUpload } from '../../api/meetings/attachment.ts';
import { getMeeting, listMeetings, type ConflictingMeeting, type MeetingDetail } from '../../api/meetings/queries.ts';
import { ScheduleConflictError, type MeetingService } from '../../api/meetings/service.ts';
import { createSeriesInput, previewSeriesInput, SeriesConflictError, type SeriesService } from '../../api/meetings/series.ts';
import { previewMeetingUpdate } from '../../api/meetings/update-preview.ts';
import { formatVietnamDay, parseVietnamLocal, toVietnamIso, toVietnamLocalInput } from '../../api/time.ts';
import { listSites, listUnits } from '../../api/units/service.ts';
import { parseFormBody, uuidParam } from '../../api/validation.ts';
import { pageAuth, signedInUser } from '../common/page-auth.ts';
import { describeError } from '../common/error-messages.ts';
import { MeetingListPage, MeetingPage } from './meeting-pages.tsx';
import { ScheduleFormPage, type EditMode, type ScheduleFormValues, type SeriesDatesPreview, type WideScopeChoice } from './schedule-form-page.tsx';
import { meetingTexts } from './texts.ts';
import { availableCapacity } from '../../api/nodes/registry.ts';
import { refusedSites } from '../../api/nodes/placement.ts';
import type { MeetingNodeFacts } from '../nodes/meeting-notes.tsx';

const scheduleForm = z.object({
  title: z.string().default(''),
  agenda: z.string().default(''),
  referenceNumber: z.string().default(''),
  hostSiteId: z.string().default(''),
  date: z.string().default(''),
  startTime: z.string().default(''),
  endTime: z.string().default(''),
  unitCodes: z.array(z.string()).default([]),
  siteIds: z.array(z.string()).default([]),
  allowConflicts: z.string().optional(),
  keepSiteIds: z.array(z.string()).default([]),
  provinceHalls: z.string().optional(),
  step: z.string().optional(),
  previewToken: z.string().optional(),
  repeat: z.string().default(''),
  repeatCount: z.string().default(''),
  repeatUntil: z.string().default(''),
  shownDates: z.array(z.string()).default([]),
  keepDates: z.array(z.string()).default([]),
});

type ScheduleForm = z.output<typeof scheduleForm>;

/** A posted schedule or edit form: repeated fields as lists, anything else its first value. */
async function readScheduleForm(c: Context<AppEnv>): Promise<ScheduleForm & { attachment: File | null }> {
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
    keepSiteIds: asList(raw.keepSiteIds),
    shownDates: asList(raw.shownDates),
    keepDates: asList(raw.keepDates),
  });
  return { ...form, attachment: chosenFile(raw.attachment) };
}

/** The file of a form's file field; an empty field (nothing chosen) is none. */
function chosenFile(value: unknown): File | null {
  const file = Array.isArray(value) ? value[0] : value;
  return file instanceof File && (file.size > 0 || file.name !== '') ? file : null;
}

async function checkedUpload(file: File): Promise<AttachmentUpload> {
  return checkAttachment(file.name, new Uint8Array(await file.arrayBuffer()));
}

/** A province's own hall: its unit hangs directly below the nation. */
function isProvinceHall(hall: { parentCode: string | null }): boolean {
  return hall.parentCode === NATIONAL_UNIT;
}

function formTimes(form: ScheduleForm, lang: 'vi' | 'en'): { startsAt: string; endsAt: string } {
  const startsAt = parseVietnamLocal(`${form.date}T${form.startTime}`);
  const endsAt = parseVietnamLocal(`${form.date}T${form.endTime}`);
  if (!startsAt || !endsAt) throw new ValidationError(translator(meetingTexts, lang)('invalidDateTime'));
  return { startsAt: toVietnamIso(startsAt), endsAt: toVietnamIso(endsAt) };
}

/** Binds a preview to the exact change it showed: saving anything else shows the preview again. */
function previewToken(meetingId: string, sequence: number, input: UpdateMeetingInput): string {
  return createHash('sha256')
    .update(JSON.stringify([meetingId, sequence, input]))
    .digest('base64url');
}

/** The form's values for a meeting as it stands (the edit page) or as a template (a copy). */
function valuesOf(meeting: MeetingDetail): ScheduleFormValues {
  const start = toVietnamLocalInput(meeting.startsAt);
  return {
    title: meeting.title,
    agenda: meeting.agenda ?? '',
    referenceNumber: meeting.referenceNumber ?? '',
    hostSiteId: meeting.hostSite.id,
    date: start.slice(0, 10),
    startTime: start.slice(11, 16),
    endTime: toVietnamLocalInput(meeting.endsAt).slice(11, 16),
  };
}

/** The capacity warning and the refused sites a meeting's page shows to those who run it (web/nodes). */
async function meetingNodeFacts(ctx: AppContext, meeting: MeetingDetail): Promise<MeetingNodeFacts> {
  const [available, refused] = await Promise.all([availableCapacity(ctx.db, ctx.now(), ctx.config.sfu.node.deadAfterMs), refusedSites(ctx.db, meeting.id)]);
  return {
    ...(available.registered > 0 && meeting.participantCount > available.capacity
      ? { shortOfCapacity: { sites: meeting.participantCount, capacity: available.capacity } }
      : {}),
    refused,
  };
}

/** The repetition the form asks for, as api/meetings/recurrence.ts takes it (zod checks the rest). */
function formRecurrence(form: ScheduleForm): Record<string, unknown> {
  return {
    frequency: form.repeat,
    ...(form.repeatUntil ? { until: form.repeatUntil } : { count: Number(form.repeatCount || '0') }),
  };
}

export function meetingPages(ctx: AppContext, meetings: MeetingService, series: SeriesService) {
  const app = new Hono<AppEnv>();

  /** "Every provincial hall" as site ids: the halls of the provinces within the account's unit. */
  const chosenProvinceHalls = async (form: ScheduleForm, user: AuthenticatedUser): Promise<string[]> => {
    if (form.provinceHalls !== 'all') return [];
    const halls = await listSites(ctx.db, { kind: 'hall', limit: 5000 });
    return halls.filter((h) => isProvinceHall(h) && unitInSubtree(user.unitCode, { code: h.unitCode, parentCode: h.parentCode })).map((h) => h.id);
  };

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
    extra: { edit?: EditMode; notice?: string; seriesDates?: SeriesDatesPreview } = {},
  ) => {
    const [allHalls, allProvinces, withoutAddress] = await Promise.all([
      listSites(ctx.db, { kind: 'hall', limit: 5000 }),
      listUnits(ctx.db, { level: 'province', limit: 5000 }),
      communesWithoutAddressByProvince(ctx.db),
    ]);
    // Offer only what the account may host from and invite (api/auth/policy.ts).
    const halls = allHalls.filter((h) => unitInSubtree(user.unitCode, { code: h.unitCode, parentCode: h.parentCode }));
    const provinces = allProvinces.filter((p) => unitInSubtree(user.unitCode, p));
    const provinceHalls = halls.filter(isProvinceHall);
    const wideScope: WideScopeChoice | undefined =
      user.unitCode === NATIONAL_UNIT
        ? {
            nationCount: provinceHalls.length + provinces.reduce((n, p) => n + p.childCount, 0),
            nationWithoutAddress:
              provinceHalls.filter((h) => !hasRealAddress(h.contactEmails)).length + [...withoutAddress.values()].reduce((n, k) => n + k, 0),
            provinceHallCount: provinceHalls.length,
            provinceHallsWithoutAddress: provinceHalls.filter((h) => !hasRealAddress(h.contactEmails)).length,
          }
        : undefined;
    const page = (
      <ScheduleFormPage
        lang={c.get('lang')}
        user={user}
        halls={halls}
        provinces={provinces.map((p) => ({ code: p.code, name: p.name, communeCount: p.childCount, withoutAddress: withoutAddress.get(p.code) ?? 0 }))}
        values={values}
        {...(wideScope ? { wideScope } : {})}
        {...(failure ? { error: failure.message, conflicts: failure.conflicts ?? [] } : {})}
        {...extra}
      />
    );
    return c.html(page, (failure?.status ?? 200) as 200);
  };

  app.get('/meetings/new', pageAuth('meeting.schedule'), async (c) => {
    const user = signedInUser(c);
    const copy = uuidParam.safeParse(c.req.query('copy'));
    if (!copy.success) return renderForm(c, user, {});
    // A copy keeps what, who and the hours; the day is chosen anew.
    const source = await getMeeting(ctx.db, copy.data);
    const values = { ...valuesOf(source), date: '', siteIds: source.participants.filter((p) => p.role !== 'host').map((p) => p.siteId) };
    const notice = translator(meetingTexts, c.get('lang'))('copiedFrom', { title: source.title, count: source.participantCount - 1 });
    return renderForm(c, user, values, undefined, { notice });
  });

  app.post('/meetings/new', pageAuth('meeting.schedule'), async (c) => {
    const user = signedInUser(c);
    const form = await readScheduleForm(c);
    const values: ScheduleFormValues = { ...form, allowConflicts: form.allowConflicts === 'true', provinceHalls: form.provinceHalls === 'all' };
    if (form.repeat) return scheduleSeries(c, user, form, values);
    try {
      const parsed = createMeetingInput.safeParse({
        title: form.title,
        ...(form.agenda.trim() ? { agenda: form.agenda } : {}),
        ...(form.referenceNumber.trim() ? { referenceNumber: form.referenceNumber } : {}),
        hostSiteId: form.hostSiteId,
        ...formTimes(form, c.get('lang')),
        siteIds: [...form.siteIds, ...(await chosenProvinceHalls(form, user))],
        unitCodes: form.unitCodes,
        allowConflicts: values.allowConflicts,
      });
      if (!parsed.success) throw ValidationError.fromZod(parsed.error);
      const attachment = form.attachment ? await checkedUpload(form.attachment) : undefined;
      const meeting = await meetings.create(parsed.data, user, attachment);
      return c.redirect(`/meetings/${meeting.id}`, 303);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const conflicts = error instanceof ScheduleConflictError ? error.conflicts : undefined;
      return renderForm(c, user, values, { status: error.status, message: describeError(error, c.get('lang')), ...(conflicts ? { conflicts } : {}) });
    }
  });

  /**
   * A series from the form: the first send (or a rule changed since) shows the dates with
   * holidays marked; the second schedules it without the unticked dates.
   */
  const scheduleSeries = async (c: Context<AppEnv>, user: AuthenticatedUser, form: ScheduleForm & { attachment: File | null }, values: ScheduleFormValues) => {
    const lang = c.get('lang');
    let dates: SeriesDatesPreview | undefined;
    try {
      // A series is not sent with a document yet: say so rather than drop the chosen file.
      if (form.attachment) throw new ValidationError(translator(meetingTexts, lang)('seriesNoAttachment'), { reason: 'series_attachment' }, 400);
      const times = formTimes(form, lang);
      const asked = previewSeriesInput.safeParse({ ...times, recurrence: formRecurrence(form) });
      if (!asked.success) throw ValidationError.fromZod(asked.error);
      const preview = series.preview(asked.data);
      const shown = new Set(form.shownDates);
      const sameDates = preview.occurrences.length === shown.size && preview.occurrences.every((o) => shown.has(o.date));
      const keep = new Set(form.keepDates);
      dates = {
        description: preview.description,
        occurrences: preview.occurrences.map((o) => ({
          date: o.date,
          label: `${formatVietnamDay(new Date(o.startsAt), lang)}`,
          holiday: o.holiday,
          kept: sameDates ? keep.has(o.date) : true,
        })),
      };
      if (form.step !== 'save' || !sameDates) {
        const notice = form.step === 'save' ? translator(meetingTexts, lang)('seriesDatesChanged') : undefined;
        return renderForm(c, user, values, undefined, { seriesDates: dates, ...(notice ? { notice } : {}) });
      }
      const parsed = createSeriesInput.safeParse({
        title: form.title,
        ...(form.agenda.trim() ? { agenda: form.agenda } : {}),
        ...(form.referenceNumber.trim() ? { referenceNumber: form.referenceNumber } : {}),
        hostSiteId: form.hostSiteId,
        ...times,
        siteIds: [...form.siteIds, ...(await chosenProvinceHalls(form, user))],
        unitCodes: form.unitCodes,
        allowConflicts: values.allowConflicts,
        recurrence: formRecurrence(form),
        excludeDates: preview.occurrences.filter((o) => !keep.has(o.date)).map((o) => o.date),
      });
      if (!parsed.success) throw ValidationError.fromZod(parsed.error);
      const created = await series.create(parsed.data, user);
      return c.redirect(`/meetings/${created.meetings[0]!.id}`, 303);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const conflicts =
        error instanceof SeriesConflictError
          ? error.occurrences.flatMap((o) => o.conflicts)
          : error instanceof ScheduleConflictError
            ? error.conflicts
            : undefined;
      return renderForm(
        c,
        user,
        values,
        { status: error.status, message: describeError(error, lang), ...(conflicts ? { conflicts } : {}) },
        dates ? { seriesDates: dates } : {},
      );
    }
  };

  app.get('/meetings/:id', pageAuth('meeting.read'), async (c) => {
    const user = signedInUser(c);
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    await meetingView(ctx.db, user, id.data);
    const texts = translator(meetingTexts, c.get('lang'));
    const notice = c.req.query('updated') === '1' ? texts('meetingUpdated') : c.req.query('attachment') === '1' ? texts('attachmentChanged') : undefined;
    const meeting = await getMeeting(ctx.db, id.data);
    const seriesRule = meeting.seriesId ? await series.describe(meeting.seriesId) : undefined;
    const nodes = user.role !== 'leader' && meeting.status === 'scheduled' ? await meetingNodeFacts(ctx, meeting) : undefined;
    return c.html(
      <MeetingPage
        lang={c.get('lang')}
        user={user}
        meeting={meeting}
        {...(notice ? { notice } : {})}
        {...(seriesRule ? { seriesRule } : {})}
        {...(nodes ? { nodes } : {})}
      />,
    );
  });

  const editMode = (meeting: MeetingDetail, preview?: EditMode['preview']): EditMode => ({
    meetingId: meeting.id,
    meetingTitle: meeting.title,
    participants: meeting.participants.map((p) => ({ siteId: p.siteId, name: p.name, unitCode: p.unitCode, unitName: p.unitName, role: p.role })),
    ...(preview ? { preview } : {}),
  });

  app.get('/meetings/:id/edit', pageAuth('meeting.manage'), async (c) => {
    const user = signedInUser(c);
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    await assertMayManageMeeting(ctx.db, user, id.data);
    const meeting = await getMeeting(ctx.db, id.data);
    if (meeting.status === 'cancelled') return c.redirect(`/meetings/${meeting.id}`, 303);
    return renderForm(c, user, valuesOf(meeting), undefined, { edit: editMode(meeting) });
  });

  // Two steps on one form: "preview" shows what each site will receive, "save" applies exactly
  // the previewed change (a token binds them) through the same service as PATCH /api/meetings/:id.
  app.post('/meetings/:id/edit', pageAuth('meeting.manage'), async (c) => {
    const user = signedInUser(c);
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    const meeting = await getMeeting(ctx.db, id.data);
    const form = await readScheduleForm(c);
    const values: ScheduleFormValues = { ...form, allowConflicts: form.allowConflicts === 'true', provinceHalls: form.provinceHalls === 'all' };
    try {
      const keep = new Set(form.keepSiteIds);
      const parsed = updateMeetingInput.safeParse({
        title: form.title,
        agenda: form.agenda.trim() ? form.agenda : null,
        referenceNumber: form.referenceNumber.trim() ? form.referenceNumber : null,
        hostSiteId: form.hostSiteId,
        ...formTimes(form, c.get('lang')),
        addSiteIds: [...form.siteIds, ...(await chosenProvinceHalls(form, user))],
        addUnitCodes: form.unitCodes,
        removeSiteIds: meeting.participants.filter((p) => !keep.has(p.siteId)).map((p) => p.siteId),
        allowConflicts: values.allowConflicts,
      });
      if (!parsed.success) throw ValidationError.fromZod(parsed.error);
      const token = previewToken(meeting.id, meeting.sequence, parsed.data);
      if (form.step === 'save' && form.previewToken === token) {
        await meetings.update(meeting.id, parsed.data, user);
        return c.redirect(`/meetings/${meeting.id}?updated=1`, 303);
      }
      const plan = await previewMeetingUpdate(ctx.db, meeting.id, parsed.data);
      const notice = form.step === 'save' ? { notice: translator(meetingTexts, c.get('lang'))('previewOutdated') } : {};
      return renderForm(c, user, values, undefined, { edit: editMode(meeting, { plan, token }), ...notice });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const conflicts = error instanceof ScheduleConflictError ? error.conflicts : undefined;
      return renderForm(
        c,
        user,
        values,
        { status: error.status, message: describeError(error, c.get('lang')), ...(conflicts ? { conflicts } : {}) },
        { edit: editMode(meeting) },
      );
    }
  });

  app.get('/meetings/:id/attachment', pageAuth('meeting.read'), async (c) => {
    const user = signedInUser(c);
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    await meetingView(ctx.db, user, id.data);
    const attachment = await attachmentContent(ctx.db, id.data);
    if (!attachment) throw new NotFoundError('Attachment', id.data);
    return attachmentResponse(attachment, c.req.header('if-none-match'));
  });

  // Attach, replace (a file) or remove (remove=yes) the meeting's document; every site is updated.
  app.post('/meetings/:id/attachment', pageAuth('meeting.manage'), async (c) => {
    const user = signedInUser(c);
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    const form = await parseFormBody(c);
    try {
      const file = chosenFile(form.attachment);
      if (form.remove === 'yes') await meetings.setAttachment(id.data, null, user);
      else if (file) await meetings.setAttachment(id.data, await checkedUpload(file), user);
      else throw new ValidationError(translator(meetingTexts, c.get('lang'))('attachmentMissing'), { reason: 'attachment_missing' }, 400);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 404 || error.status === 403) throw error;
      return c.html(
        <MeetingPage lang={c.get('lang')} user={user} meeting={await getMeeting(ctx.db, id.data)} error={describeError(error, c.get('lang'))} />,
        error.status as 422,
      );
    }
    return c.redirect(`/meetings/${id.data}?attachment=1`, 303);
  });

  app.post('/meetings/:id/cancel', pageAuth('meeting.manage'), async (c) => {
    const user = signedInUser(c);
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    const form = await parseFormBody(c);
    try {
      // Cancelling sends a CANCEL to every site: one click is not enough.
      if (form.confirm !== 'yes')
        throw new ValidationError(translator(meetingTexts, c.get('lang'))('cancelNeedsConfirmation'), { reason: 'confirmation_required' }, 400);
      const parsed = cancelMeetingInput.safeParse(typeof form.reason === 'string' && form.reason.trim() ? { reason: form.reason } : {});
      if (!parsed.success) throw ValidationError.fromZod(parsed.error, 400);
      await meetings.cancel(id.data, parsed.data.reason, user);
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
