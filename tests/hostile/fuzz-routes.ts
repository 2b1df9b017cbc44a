/**
 * Test support: the fuzz table, one entry per route (JSON API and pages), built against a
 * fixture of real rows (sites, meetings, site tokens) so that generated requests reach the
 * services and not only the validators.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { z } from 'zod';
import { credentialsInput } from '../../api/auth/routes.ts';
import { completeResetInput, forgotPasswordInput, resetPasswordInput } from '../../api/auth/accounts.ts';
import { newUserInput } from '../../api/auth/users.ts';
import { auditPageQuery, auditQuery } from '../../api/audit/log.ts';
import { dashboardQuery, meetingAttendanceQuery } from '../../api/attendance/schemas.ts';
import type { Role } from '../../api/context.ts';
import { directoryUpdateInput } from '../../api/directory/fields.ts';
import { applyImportInput } from '../../api/directory/import.ts';
import { callListQuery, directoryExportQuery, directoryListQuery } from '../../api/directory/routes.ts';
import { calendarTokenInput } from '../../api/invites/calendar-feed.ts';
import { readinessAnswerInput } from '../../api/invites/readiness.ts';
import { deviceCheckInput } from '../../api/invites/device-checks.ts';
import { resendInput } from '../../api/invites/routes.ts';
import { createMailFolderTransport, listMailFolder } from '../../api/invites/mail-folder.ts';
import { mintCalendarToken, mintMeetingTokens } from '../../api/invites/site-tokens.ts';
import { cancelMeetingInput, createMeetingInput, listMeetingsQuery, updateMeetingInput } from '../../api/meetings/schemas.ts';
import { createSeriesInput, previewSeriesInput } from '../../api/meetings/series.ts';
import { toVietnamIso } from '../../api/time.ts';
import { builtAssets } from '../../web/assets.ts';
import { sitesQuery, unitsQuery } from '../../api/units/routes.ts';
import { registerNode } from '../../api/nodes/registry.ts';
import { drainBody, joinNodeBody, moveSitesBody, provinceBody } from '../../api/nodes/routes.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../support/app.ts';
import { encodeSegment, formBody, jsonBody, pathParam, queryString, runFuzz, type Body, type FuzzTarget } from './fuzz-harness.ts';
import * as shapes from './response-schemas.ts';
import { hostileString, type Hints } from './zod-arbitrary.ts';

/** The test users' password (tests/support/app.ts), so that some sign-ins succeed. */
const TEST_PASSWORD = 'correct horse battery';
const TEST_ROLES = ['secretariat', 'leader', 'admin'] as const;

export const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
export const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const BODY_LIMIT = 64 * 1024;

export interface FuzzRoute extends FuzzTarget {
  /** Who is signed in (null: nobody). */
  role: Role | null;
  /**
   * The share of generated requests that must get past validation (a 2xx, or a page's redirect
   * after a form): about half of what the generators reached when this was set, so a route that
   * starts refusing what it should accept, or a generator that stops producing acceptable
   * input, fails the test. 0 only where no request can succeed by construction (said why).
   */
  minAccepted: number;
}

export interface FuzzFixture {
  t: TestApp;
  halls: string[];
  communes: string[];
  unitCodes: string[];
  meetingIds: string[];
  /** Meetings the cancelling routes may cancel. */
  cancellable: string[];
  tokens: { join: string; readiness: string };
  calendarToken: string;
  /** A message in the mail folder (with a calendar), for the /mail/:id pages. */
  mailId: string;
  hints: Hints;
  /** Hints whose uuids are sites only (bodies naming sites). */
  siteHints: Hints;
}

export async function createFuzzFixture(): Promise<FuzzFixture> {
  const mailDir = await mkdtemp(join(tmpdir(), 'hoinghi-fuzz-mail-'));
  const t = await createTestApp('pglite', {
    provinces: ['44'],
    config: {
      MAIL_FOLDER_DIR: mailDir,
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
      // Enough failed sign-ins before the limiter answers 429 for the inputs to reach the account
      // look-up (each costs an argon2 verification, so not all 1,000).
      LOGIN_MAX_ATTEMPTS: '20',
    },
  });
  const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.leader })).body.sites as { id: string; kind: string; unitCode: string }[];
  const halls = sites.filter((s) => s.kind === 'hall').map((s) => s.id);
  const communes = sites.filter((s) => s.kind === 'commune').map((s) => s.id);
  const unitCodes = ['VN', '44', ...new Set(sites.map((s) => s.unitCode))].slice(0, 30);

  const createMeeting = async (dayOffset: number, siteIds: string[]) => {
    const startsAt = new Date(TEST_NOW.getTime() + dayOffset * 86_400_000);
    const response = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title: `Giao ban ${dayOffset}`,
        hostSiteId: halls[0],
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 2 * 3600_000).toISOString(),
        siteIds,
        allowConflicts: true,
      },
    });
    if (response.status !== 201) throw new Error(JSON.stringify(response.body));
    return response.body as { id: string; endsAt: string };
  };
  const meetings = [];
  for (let i = 1; i <= 6; i++) meetings.push(await createMeeting(i, communes.slice(i * 3, i * 3 + 6)));
  const cancellable = [];
  for (let i = 1; i <= 12; i++) cancellable.push((await createMeeting(i + 10, communes.slice(0, 4))).id);
  // communes[3] holds the fuzzed links; the calendar-token route (which may rotate a site's
  // subscription links) is pointed at other sites.
  const tokens = await mintMeetingTokens(t.database.db, {
    meetingId: meetings[0]!.id,
    siteId: communes[3]!,
    expiresAt: new Date(meetings[0]!.endsAt),
    purposes: ['join', 'readiness'],
  });
  const calendarToken = await mintCalendarToken(t.database.db, communes[3]!);
  // Conference servers for the placement routes (the clock is pinned, so they stay alive):
  // `main` takes the sites, `spare` is the one the drain routes switch.
  for (const id of ['main', 'spare'])
    await registerNode(t.database.db, { id, signalingUrl: `ws://${id}.hoinghi.test/ws`, mediaAddress: '127.0.0.1', capacity: 100_000 }, TEST_NOW);
  const mailFolder = createMailFolderTransport({ dir: mailDir });
  await mailFolder.send({
    from: 'hoinghi@test.hoinghi',
    to: 'xa@test.hoinghi',
    subject: 'Giấy mời',
    text: 'Kính mời',
    icalEvent: { method: 'REQUEST', content: 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hoinghi//fuzz//VI\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n' },
  });
  await mailFolder.close();
  const mailId = (await listMailFolder(mailDir))[0]!.id;

  // Times on a quarter-hour grid around the test clock, so that a good share of generated
  // meetings is valid (start not past, end after start, at most 12 hours).
  const instants = fc.tuple(fc.integer({ min: -8, max: 300 }), fc.constantFrom('vn', 'z', 'utc')).map(([quarter, style]) => {
    const at = new Date(TEST_NOW.getTime() + quarter * 15 * 60_000);
    return style === 'vn' ? toVietnamIso(at) : style === 'z' ? at.toISOString() : at.toISOString().replace('Z', '+00:00');
  });
  const meetingIds = meetings.map((m) => m.id);
  const hints: Hints = { uuids: [...halls, ...communes.slice(0, 40), ...meetingIds], instants, unitCodes };
  return {
    t,
    halls,
    communes,
    unitCodes,
    meetingIds,
    cancellable,
    tokens,
    calendarToken,
    mailId,
    hints,
    siteHints: { ...hints, uuids: [...halls, ...communes] },
  };
}

const fixed = (path: string) => fc.constant(path);
const at = (template: string, param: fc.Arbitrary<string>) => param.map((p) => template.replace(':p', p));
const json = (schema: z.ZodType, hints: Hints, plausible?: fc.Arbitrary<unknown>) => jsonBody(schema, hints, BODY_LIMIT, plausible);

/** A start on the quarter-hour grid from the test clock on, and an end 15 minutes to 12 hours later. */
const plausibleTimes = fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 48 })).map(([quarter, quarters]) => {
  const startsAt = new Date(TEST_NOW.getTime() + quarter * 15 * 60_000);
  return { startsAt: toVietnamIso(startsAt), endsAt: toVietnamIso(new Date(startsAt.getTime() + quarters * 15 * 60_000)) };
});
const plausibleTitle = fc.oneof(
  fc.constantFrom('Giao ban tháng 12', 'Hội nghị triển khai Nghị quyết 18-NQ/TW', 'Họp \u0110oàn'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => /\S/.test(s) && !/[\u0000-\u001F\u007F]/.test(s)),
);
const plausibleNewMeeting = (fx: FuzzFixture) =>
  fc
    .record({
      title: plausibleTitle,
      hostSiteId: fc.constantFrom(...fx.halls),
      times: plausibleTimes,
      siteIds: fc.subarray(fx.communes, { minLength: 1, maxLength: 8 }),
      allowConflicts: fc.boolean(),
    })
    .map(({ times, ...rest }) => ({ ...rest, ...times }));
const plausibleRecurrence = fc.record({
  frequency: fc.constantFrom('weekly', 'biweekly', 'monthly-weekday', 'monthly-date'),
  count: fc.integer({ min: 2, max: 12 }),
});
const plausibleNewSeries = (fx: FuzzFixture) =>
  fc.tuple(plausibleNewMeeting(fx), plausibleRecurrence).map(([meeting, recurrence]) => ({ ...meeting, recurrence, allowConflicts: true }));
const plausibleChange = (fx: FuzzFixture) =>
  fc.oneof(
    plausibleTitle.map((title) => ({ title })),
    plausibleTimes.map((times) => ({ ...times, allowConflicts: true })),
    fc.subarray(fx.communes, { minLength: 1, maxLength: 4 }).map((addSiteIds) => ({ addSiteIds, allowConflicts: true })),
    fc.constantFrom(...fx.communes).map((siteId) => ({ removeSiteIds: [siteId] })),
  );
const meetingId = (fx: FuzzFixture) => pathParam(fc.oneof({ arbitrary: fc.constantFrom(...fx.meetingIds), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 }));
const cancelId = (fx: FuzzFixture) => pathParam(fc.oneof({ arbitrary: fc.constantFrom(...fx.cancellable), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 }));
const linkToken = (real: string) =>
  pathParam(
    fc.oneof(
      { arbitrary: fc.constant(real), weight: 3 },
      { arbitrary: fc.constant(`${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`), weight: 1 },
      { arbitrary: fc.base64String({ minLength: 40, maxLength: 48 }), weight: 1 },
    ),
  );
/** Sites the directory routes may change (apart from the ones meetings and links use). */
const directorySite = (fx: FuzzFixture) =>
  pathParam(fc.oneof({ arbitrary: fc.constantFrom(...fx.communes.slice(30, 40)), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 }));
/** A directory file: the export's header and lines of real, unknown and hostile codes and values, or garbage. */
const directoryFile = (fx: FuzzFixture): fc.Arbitrary<Body> => {
  const cell = fc.oneof(fc.constantFrom('', 'có', 'không', 'a@b.vn', '0233 3852 000', '=1+2', '"'), hostileString);
  const line = fc
    .tuple(fc.oneof(fc.constantFrom(...fx.unitCodes, '99999', '4', ''), hostileString), fc.array(cell, { maxLength: 9 }))
    .map(([code, cells]) => [code, ...cells].map((c) => `"${c.replaceAll('"', '""')}"`).join(','));
  const csv = fc
    .array(line, { maxLength: 20 })
    .map((lines) => `\uFEFFMã đơn vị,Đơn vị,Điểm cầu,Thư điện tử,Điện thoại,Người phụ trách,Địa chỉ hội trường,Ghi chú,Hoạt động\r\n${lines.join('\r\n')}`);
  return fc.oneof(
    { arbitrary: csv.map((body) => ({ contentType: 'text/csv', body })), weight: 6 },
    { arbitrary: hostileString.map((body) => ({ contentType: 'text/csv', body })), weight: 1 },
    {
      arbitrary: fc
        .constantFrom('PK\u0003\u0004', 'PK\u0003\u0004garbage', 'PK\u0005\u0006' + '\u0000'.repeat(18))
        .map((body) => ({ contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', body })),
      weight: 1,
    },
    { arbitrary: fc.constant({ contentType: 'application/json', body: '{}' }), weight: 1 },
  );
};
const mailId = (fx: FuzzFixture) =>
  pathParam(fc.oneof({ arbitrary: fc.constant(fx.mailId), weight: 3 }, { arbitrary: fc.stringMatching(/^[\w.-]{1,40}$/), weight: 1 }));
const nextParam = hostileString.map((s) => `?next=${encodeSegment(s)}`);

type Build = (fx: FuzzFixture) => FuzzRoute;
const api =
  (role: Role | null, rest: (fx: FuzzFixture) => Omit<FuzzRoute, 'method' | 'role' | 'kind'>) =>
  (method: string): Build =>
  (fx) => ({ method, role, kind: 'api', ...rest(fx) });
const page =
  (role: Role | null, rest: (fx: FuzzFixture) => Omit<FuzzRoute, 'method' | 'role' | 'kind'>) =>
  (method: string): Build =>
  (fx) => ({ method, role, kind: 'page', okContentType: /text\/html/, ...rest(fx) });

function table(entries: Record<string, (method: string) => Build>): Record<string, Build> {
  return Object.fromEntries(Object.entries(entries).map(([name, make]) => [name, make(name.split(' ')[0]!)]));
}

export const API_ROUTES = table({
  'GET /healthz': api(null, () => ({ minAccepted: 0.5, path: fixed('/healthz'), ok: z.object({ ok: z.literal(true) }) })),
  'POST /api/auth/login': api(null, (fx) => ({
    minAccepted: 0.1,
    path: fixed('/api/auth/login'),
    body: json(
      credentialsInput,
      fx.hints,
      fc.constantFrom(...TEST_ROLES).map((role) => ({ email: `${role}@test.hoinghi`, password: TEST_PASSWORD })),
    ),
    ok: shapes.userBody,
  })),
  'POST /api/auth/logout': api(null, (fx) => ({ minAccepted: 0.5, path: fixed('/api/auth/logout'), body: json(z.object({}), fx.hints) })),
  'GET /api/auth/me': api('leader', () => ({ minAccepted: 0.5, path: fixed('/api/auth/me'), ok: shapes.userBody })),
  'POST /api/users': api('admin', (fx) => ({ minAccepted: 0.002, path: fixed('/api/users'), body: json(newUserInput, fx.hints), ok: shapes.userBody })),
  'GET /api/units': api('leader', (fx) => ({ minAccepted: 0.4, path: fixed('/api/units'), query: queryString(unitsQuery, fx.hints), ok: shapes.unitList })),
  'GET /api/units/:code/sites': api('leader', (fx) => ({
    minAccepted: 0.3,
    path: at('/api/units/:p/sites', pathParam(fc.constantFrom(...fx.unitCodes.filter((c) => c !== 'VN')))),
    ok: shapes.unitSites,
  })),
  'GET /api/sites': api('leader', (fx) => ({ minAccepted: 0.4, path: fixed('/api/sites'), query: queryString(sitesQuery, fx.hints), ok: shapes.siteList })),
  'POST /api/meetings': api('secretariat', (fx) => ({
    minAccepted: 0.08,
    path: fixed('/api/meetings'),
    body: json(createMeetingInput, fx.siteHints, plausibleNewMeeting(fx)),
    ok: shapes.meetingDetail,
  })),
  'POST /api/meetings/series/preview': api('secretariat', (fx) => ({
    minAccepted: 0.05,
    path: fixed('/api/meetings/series/preview'),
    body: json(
      previewSeriesInput,
      fx.hints,
      plausibleTimes.chain((times) => plausibleRecurrence.map((recurrence) => ({ ...times, recurrence }))),
    ),
    ok: shapes.seriesPreview,
  })),
  'POST /api/meetings/series': api('secretariat', (fx) => ({
    minAccepted: 0.03,
    path: fixed('/api/meetings/series'),
    body: json(createSeriesInput, fx.siteHints, plausibleNewSeries(fx)),
    ok: shapes.series,
  })),
  // `after` is an opaque page cursor: a generated one is rightly refused, so fewer get through.
  'GET /api/meetings': api('leader', (fx) => ({
    minAccepted: 0.05,
    path: fixed('/api/meetings'),
    query: queryString(listMeetingsQuery, fx.hints),
    ok: shapes.meetingList,
  })),
  'GET /api/meetings/:id': api('leader', (fx) => ({ minAccepted: 0.2, path: at('/api/meetings/:p', meetingId(fx)), ok: shapes.meetingDetail })),
  'PATCH /api/meetings/:id': api('secretariat', (fx) => ({
    minAccepted: 0.05,
    path: at('/api/meetings/:p', meetingId(fx)),
    body: json(updateMeetingInput, fx.siteHints, plausibleChange(fx)),
    ok: shapes.meetingDetail,
  })),
  'POST /api/meetings/:id/cancel': api('secretariat', (fx) => ({
    minAccepted: 0.005,
    path: at('/api/meetings/:p/cancel', cancelId(fx)),
    body: json(cancelMeetingInput, fx.hints),
    ok: shapes.meetingDetail,
  })),
  // The meeting's PDF: real-looking PDFs (some with hostile text inside), other bytes, odd names.
  'PUT /api/meetings/:id/attachment': api('secretariat', (fx) => ({
    minAccepted: 0.02,
    path: at('/api/meetings/:p/attachment', meetingId(fx)),
    query: fc.oneof(hostileString, fc.constantFrom('Giấy mời.pdf', 'a/b\\c.pdf', '')).map((name) => `?fileName=${encodeSegment(name)}`),
    body: fc.oneof(
      { arbitrary: hostileString.map((text) => ({ contentType: 'application/pdf', body: `%PDF-1.4\n${text}\n%%EOF` })), weight: 3 },
      { arbitrary: hostileString.map((body) => ({ contentType: 'application/pdf', body })), weight: 1 },
      { arbitrary: fc.constant({ contentType: 'application/json', body: '{}' }), weight: 1 },
    ),
    ok: shapes.meetingDetail,
  })),
  'GET /api/meetings/:id/attachment': api('leader', (fx) => ({
    minAccepted: 0,
    path: at('/api/meetings/:p/attachment', meetingId(fx)),
    okContentType: /^application\/pdf$/,
  })),
  'DELETE /api/meetings/:id/attachment': api('secretariat', (fx) => ({
    minAccepted: 0,
    path: at('/api/meetings/:p/attachment', meetingId(fx)),
    body: json(z.object({}), fx.hints),
    ok: shapes.meetingDetail,
  })),
  'GET /api/meetings/:id/invites': api('leader', (fx) => ({
    minAccepted: 0.2,
    path: at('/api/meetings/:p/invites', meetingId(fx)),
    ok: shapes.deliveryStatus,
  })),
  'POST /api/meetings/:id/invites/resend': api('secretariat', (fx) => ({
    minAccepted: 0.06,
    path: at('/api/meetings/:p/invites/resend', meetingId(fx)),
    body: json(resendInput, fx.siteHints),
    ok: shapes.resendResult,
  })),
  // At most 10 checks per site in 10 minutes (then 429): the fixture's one token can succeed 10 times.
  'POST /api/meetings/:id/device-checks': api(null, (fx) => ({
    minAccepted: 0.002,
    path: at(
      '/api/meetings/:p/device-checks',
      pathParam(fc.oneof({ arbitrary: fc.constant(fx.meetingIds[0]!), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 })),
    ),
    body: json(
      deviceCheckInput,
      fx.hints,
      fc.record({
        token: fc.constantFrom(fx.tokens.readiness, fx.tokens.join),
        browser: fc.constantFrom('Chrome 131 · Windows', 'Firefox 128 · Linux'),
        cameraOk: fc.boolean(),
        micOk: fc.boolean(),
        rttMs: fc.option(fc.integer({ min: 0, max: 2000 })),
        lossPercent: fc.option(fc.double({ min: 0, max: 100, noNaN: true })),
      }),
    ),
    ok: shapes.deviceCheck,
  })),
  'POST /api/sites/:siteId/calendar-token': api('secretariat', (fx) => ({
    minAccepted: 0.15,
    path: at('/api/sites/:p/calendar-token', pathParam(fc.constantFrom(...fx.communes.slice(5, 10), ...fx.halls))),
    body: json(calendarTokenInput, fx.hints),
    ok: shapes.calendarToken,
  })),
  'GET /api/meetings/:id/attendance': api('leader', (fx) => ({
    minAccepted: 0.06,
    path: at('/api/meetings/:p/attendance', meetingId(fx)),
    query: queryString(meetingAttendanceQuery, fx.hints),
    okContentType: /application\/json|text\/csv/,
  })),
  'GET /api/meetings/:id/attendance/live': api('leader', (fx) => ({
    minAccepted: 0.2,
    path: at('/api/meetings/:p/attendance/live', meetingId(fx)),
    ok: shapes.liveBoard,
  })),
  'GET /api/reports/attendance': api('leader', (fx) => ({
    minAccepted: 0.05,
    path: fixed('/api/reports/attendance'),
    query: queryString(dashboardQuery, fx.hints),
    ok: shapes.attendanceDashboard,
  })),
  'GET /calendar/sites/:siteId.ics': api(null, (fx) => ({
    minAccepted: 0.05,
    path: pathParam(fc.constantFrom(fx.communes[3]!, fx.communes[4]!)).map((s) => `/calendar/sites/${s}.ics`),
    query: fc.oneof(
      fc.constant(`?token=${fx.calendarToken}`),
      hostileString.map((s) => `?token=${encodeSegment(s)}`),
      fc.constant(''),
    ),
    okContentType: /text\/calendar/,
  })),
  'GET /api/directory/units/:code': api('secretariat', (fx) => ({
    minAccepted: 0.08,
    path: at('/api/directory/units/:p', pathParam(fc.constantFrom(...fx.unitCodes))),
    query: queryString(directoryListQuery, fx.hints),
    ok: shapes.directoryUnit,
  })),
  'GET /api/directory/units/:code/export': api('secretariat', (fx) => ({
    minAccepted: 0.08,
    path: at('/api/directory/units/:p/export', pathParam(fc.constantFrom(...fx.unitCodes.filter((c) => c !== 'VN')))),
    query: queryString(directoryExportQuery, fx.hints),
    okContentType: /text\/csv|spreadsheetml/,
  })),
  'POST /api/directory/units/:code/imports': api('secretariat', (fx) => ({
    minAccepted: 0.05,
    path: at('/api/directory/units/:p/imports', pathParam(fc.constantFrom(...fx.unitCodes.filter((c) => c !== 'VN')))),
    body: directoryFile(fx),
    ok: shapes.directoryImportPreview,
  })),
  // Random import ids only: applying real previews is api/directory/directory.test.ts's job.
  'POST /api/directory/imports/:id/apply': api('secretariat', (fx) => ({
    minAccepted: 0,
    path: at('/api/directory/imports/:p/apply', pathParam(fc.uuid())),
    body: json(applyImportInput, fx.hints),
  })),
  'GET /api/directory/sites/:id': api('secretariat', (fx) => ({
    minAccepted: 0.2,
    path: at('/api/directory/sites/:p', directorySite(fx)),
    ok: shapes.directoryEntry,
  })),
  'PATCH /api/directory/sites/:id': api('secretariat', (fx) => ({
    minAccepted: 0.005,
    path: at('/api/directory/sites/:p', directorySite(fx)),
    body: json(directoryUpdateInput, fx.hints),
    ok: z.looseObject({ site: shapes.directoryEntry }),
  })),
  'GET /api/meetings/:id/call-list': api('secretariat', (fx) => ({
    minAccepted: 0.08,
    path: at('/api/meetings/:p/call-list', meetingId(fx)),
    query: queryString(callListQuery, fx.hints),
    okContentType: /application\/json|text\/csv/,
  })),
  // Accounts: ids are random (a fuzzed deactivation must not lock out the accounts the other
  // routes sign in with); changing one's own password is left out for the same reason.
  'GET /api/users': api('admin', () => ({ minAccepted: 0.5, path: fixed('/api/users') })),
  'POST /api/users/:id/deactivate': api('admin', (fx) => ({
    minAccepted: 0,
    path: at('/api/users/:p/deactivate', pathParam(fc.uuid())),
    body: json(z.object({}).strict(), fx.hints),
  })),
  'POST /api/users/:id/password': api('admin', (fx) => ({
    minAccepted: 0,
    path: at('/api/users/:p/password', pathParam(fc.uuid())),
    body: json(resetPasswordInput, fx.hints),
  })),
  'GET /api/auth/sign-ins': api('leader', () => ({ minAccepted: 0.5, path: fixed('/api/auth/sign-ins') })),
  'DELETE /api/auth/sign-ins/:id': api('leader', () => ({
    minAccepted: 0,
    path: at('/api/auth/sign-ins/:p', pathParam(fc.uuid())),
    body: fc.constant<Body>({ contentType: 'application/json', body: '{}' }),
  })),
  'POST /api/auth/forgot-password': api(null, (fx) => ({
    minAccepted: 0.05,
    path: fixed('/api/auth/forgot-password'),
    body: json(forgotPasswordInput, fx.hints),
  })),
  'POST /api/auth/reset-password': api(null, (fx) => ({ minAccepted: 0, path: fixed('/api/auth/reset-password'), body: json(completeResetInput, fx.hints) })),
  'POST /api/meetings/:id/sites/:siteId/rotate-links': api('secretariat', (fx) => ({
    minAccepted: 0,
    path: fc.tuple(meetingId(fx), pathParam(fc.constantFrom(...fx.communes.slice(0, 40)))).map(([m, s]) => `/api/meetings/${m}/sites/${s}/rotate-links`),
    body: json(z.object({}).strict(), fx.hints),
  })),
  'GET /api/audit': api('admin', (fx) => ({
    minAccepted: 0.05,
    path: fixed('/api/audit'),
    query: queryString(auditQuery, fx.hints),
    okContentType: /application\/json|text\/csv/,
  })),
  'POST /api/join/node': api(null, (fx) => ({
    minAccepted: 0.1,
    path: fixed('/api/join/node'),
    body: json(joinNodeBody, fx.hints, fc.constant({ joinToken: fx.tokens.join })),
    ok: z.object({ nodeId: z.string(), signalingUrl: z.string().regex(/^wss?:\/\//) }),
  })),
  'POST /api/meetings/:id/console/node': api('secretariat', (fx) => ({
    minAccepted: 0.1,
    path: at('/api/meetings/:p/console/node', meetingId(fx)),
    body: json(z.object({}).strict(), fx.hints),
    ok: z.object({ nodeId: z.string(), signalingUrl: z.string() }),
  })),
  'GET /api/meetings/:id/refused-sites': api('secretariat', (fx) => ({
    minAccepted: 0.2,
    path: at('/api/meetings/:p/refused-sites', meetingId(fx)),
    ok: z.object({ sites: z.array(z.object({ siteId: z.uuid(), siteName: z.string(), at: z.string() })) }),
  })),
  'GET /api/nodes': api('admin', () => ({ minAccepted: 0.5, path: fixed('/api/nodes'), ok: z.object({ nodes: z.array(z.looseObject({ id: z.string() })) }) })),
  'POST /api/nodes/:id/drain': api('admin', (fx) => ({
    minAccepted: 0.05,
    path: at('/api/nodes/:p/drain', pathParam(fc.oneof({ arbitrary: fc.constant('spare'), weight: 4 }, { arbitrary: fc.string(), weight: 1 }))),
    body: json(drainBody, fx.hints),
  })),
  'POST /api/nodes/:id/move-sites': api('admin', (fx) => ({
    minAccepted: 0.05,
    path: at('/api/nodes/:p/move-sites', pathParam(fc.oneof({ arbitrary: fc.constant('spare'), weight: 4 }, { arbitrary: fc.string(), weight: 1 }))),
    body: json(moveSitesBody, fx.hints),
  })),
  'PUT /api/nodes/provinces/:code': api('admin', (fx) => ({
    minAccepted: 0.05,
    path: at(
      '/api/nodes/provinces/:p',
      pathParam(fc.oneof({ arbitrary: fc.constant('44'), weight: 4 }, { arbitrary: fc.constantFrom('01', '99', 'VN', '19165'), weight: 1 })),
    ),
    body: json(provinceBody, fx.hints, fc.record({ nodeId: fc.constantFrom('main', 'spare', null) })),
  })),
  'GET (unknown route)': api('leader', () => ({
    minAccepted: 0 /* every path is unknown by construction: a 404 is the only right answer */,
    path: fc.array(hostileString.map(encodeSegment), { minLength: 1, maxLength: 4 }).map((parts) => `/api/${parts.join('/')}`),
  })),
});

export const PAGE_ROUTES = table({
  'GET /login': page(null, () => ({ minAccepted: 0.5, path: fixed('/login'), query: nextParam })),
  'POST /login': page(null, () => ({
    minAccepted: 0.01,
    path: fixed('/login'),
    body: formBody({ email: fc.constantFrom('leader@test.hoinghi', 'x@y.vn'), password: fc.oneof(fc.constant(TEST_PASSWORD), fc.string()) }),
    query: fc.oneof(fc.constant(''), nextParam),
  })),
  'POST /logout': page(null, () => ({ minAccepted: 0.4, path: fixed('/logout'), body: formBody({}) })),
  'GET /': page('leader', () => ({ minAccepted: 0.5, path: fixed('/') })),
  'GET /meetings/new': page('secretariat', () => ({ minAccepted: 0.5, path: fixed('/meetings/new') })),
  'POST /meetings/new': page('secretariat', (fx) => {
    const day = fc.integer({ min: -3, max: 30 }).map((d) => toVietnamIso(new Date(TEST_NOW.getTime() + d * 86_400_000)).slice(0, 10));
    const clock = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
      .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    return {
      minAccepted: 0.003,
      path: fixed('/meetings/new'),
      body: formBody({
        title: fc.constantFrom('Giao ban', 'Hội nghị'),
        agenda: fc.string(),
        hostSiteId: fc.constantFrom(...fx.halls),
        date: day,
        startTime: clock,
        endTime: clock,
        unitCodes: fc.constantFrom(...fx.unitCodes),
        siteIds: fc.constantFrom(...fx.communes),
        allowConflicts: fc.constantFrom('true', 'false'),
        // The "Lặp lại" section: a series' dates first, then the series (step=save).
        repeat: fc.constantFrom('', 'weekly', 'biweekly', 'monthly-weekday', 'monthly-date', 'yearly'),
        repeatCount: fc.constantFrom('', '3', '0', '101', 'ba'),
        repeatUntil: fc.constantFrom('', '2027-02-01', '2026-02-30', 'mai'),
        step: fc.constantFrom('dates', 'save'),
        shownDates: day,
        keepDates: day,
      }),
    };
  }),
  'GET /meetings/series/:id/console': page('secretariat', (fx) => ({
    minAccepted: 0,
    path: at('/meetings/series/:p/console', pathParam(fc.constantFrom(...fx.halls))),
  })),
  'GET /meetings/:id': page('leader', (fx) => ({ minAccepted: 0.2, path: at('/meetings/:p', meetingId(fx)) })),
  'POST /meetings/:id/cancel': page('secretariat', (fx) => ({
    minAccepted: 0.005,
    path: at('/meetings/:p/cancel', cancelId(fx)),
    body: formBody({ confirm: fc.constantFrom('yes', 'no'), reason: fc.string() }),
  })),
  'POST /meetings/:id/attachment': page('secretariat', (fx) => ({
    minAccepted: 0,
    path: at('/meetings/:p/attachment', meetingId(fx)),
    body: formBody({ remove: fc.constantFrom('yes', 'no', ''), attachment: fc.string() }),
  })),
  'GET /meetings/:id/attachment': page('leader', (fx) => ({
    minAccepted: 0,
    path: at('/meetings/:p/attachment', meetingId(fx)),
    okContentType: /^application\/pdf$/,
  })),
  'GET /meetings/:id/edit': page('secretariat', (fx) => ({ minAccepted: 0.2, path: at('/meetings/:p/edit', meetingId(fx)) })),
  'POST /meetings/:id/edit': page('secretariat', (fx) => {
    return {
      // Eleven fields, each now and then hostile, and times that must fit: few bodies are whole.
      minAccepted: 0.002,
      path: at('/meetings/:p/edit', meetingId(fx)),
      body: formBody({
        title: fc.constantFrom('Giao ban', 'Hội nghị'),
        agenda: fc.string(),
        hostSiteId: fc.constantFrom(...fx.halls),
        date: fc.constantFrom('2026-12-10', '2026-12-11', '2026-11-01'),
        startTime: fc.constantFrom('08:00', '09:00', ''),
        endTime: fc.constantFrom('10:00', '11:30', '25:00'),
        keepSiteIds: fc.constantFrom(...fx.communes),
        siteIds: fc.constantFrom(...fx.communes),
        unitCodes: fc.constantFrom(...fx.unitCodes),
        step: fc.constantFrom('preview', 'save'),
        previewToken: fc.string(),
      }),
    };
  }),
  'GET /meetings/:id/call-list': page('secretariat', (fx) => ({ minAccepted: 0.1, path: at('/meetings/:p/call-list', meetingId(fx)) })),
  'GET /directory': page('secretariat', () => ({ minAccepted: 0.5, path: fixed('/directory') })),
  'GET /directory/units/:code': page('secretariat', (fx) => ({
    minAccepted: 0.3,
    path: at('/directory/units/:p', pathParam(fc.constantFrom(...fx.unitCodes))),
    query: fc.constantFrom('', '?missing=true', '?applied=3', '?applied=%3Cb%3E'),
  })),
  // A form without a file part can only be refused; uploads are web/directory/directory-pages.test.ts's.
  'POST /directory/units/:code/import': page('secretariat', (fx) => ({
    minAccepted: 0,
    path: at('/directory/units/:p/import', pathParam(fc.constantFrom(...fx.unitCodes))),
    body: formBody({ file: fc.string() }),
  })),
  'GET /directory/imports/:id': page('secretariat', () => ({ minAccepted: 0, path: at('/directory/imports/:p', pathParam(fc.uuid())) })),
  'GET /directory/sites/:id': page('secretariat', (fx) => ({
    minAccepted: 0.2,
    path: at('/directory/sites/:p', directorySite(fx)),
    query: fc.constantFrom('', '?saved=1'),
  })),
  'POST /directory/sites/:id': page('secretariat', (fx) => ({
    minAccepted: 0.005,
    path: at('/directory/sites/:p', directorySite(fx)),
    body: formBody({
      contactEmails: fc.constantFrom('a@b.vn', 'a@b.vn\nc@d.vn', 'sai'),
      contactPhone: fc.constantFrom('0233 3852 000', 'x'),
      responsiblePerson: fc.string(),
      hallAddress: fc.string(),
      note: fc.string(),
      active: fc.constantFrom('true', 'false'),
    }),
  })),
  'POST /directory/sites/:id/calendar-link': page('secretariat', (fx) => ({
    minAccepted: 0.05,
    path: at('/directory/sites/:p/calendar-link', directorySite(fx)),
    body: formBody({ rotate: fc.constantFrom('true', 'false') }),
  })),
  'GET /meetings/:id/invites': page('leader', (fx) => ({
    minAccepted: 0.2,
    path: at('/meetings/:p/invites', meetingId(fx)),
    query: fc.oneof(
      fc.constant(''),
      hostileString.map((s) => `?resent=${encodeSegment(s)}`),
    ),
  })),
  'POST /meetings/:id/invites/resend': page('secretariat', (fx) => ({
    minAccepted: 0.1,
    path: at('/meetings/:p/invites/resend', meetingId(fx)),
    body: formBody({ siteId: fc.constantFrom(...fx.communes.slice(0, 40)), failedOnly: fc.constantFrom('true', 'false') }),
  })),
  'GET /meetings/:id/attendance': page('leader', (fx) => ({ minAccepted: 0.2, path: at('/meetings/:p/attendance', meetingId(fx)) })),
  'GET /meetings/:id/live': page('leader', (fx) => ({ minAccepted: 0.2, path: at('/meetings/:p/live', meetingId(fx)) })),
  'GET /reports': page('leader', (fx) => ({ minAccepted: 0.05, path: fixed('/reports'), query: queryString(dashboardQuery, fx.hints) })),
  'GET /ready/:token/attachment': page(null, (fx) => ({
    minAccepted: 0,
    path: at('/ready/:p/attachment', linkToken(fx.tokens.readiness)),
    okContentType: /^application\/pdf$/,
  })),
  'GET /ready/:token': page(null, (fx) => ({
    minAccepted: 0.15,
    path: at('/ready/:p', linkToken(fx.tokens.readiness)),
    query: fc.constantFrom('', '?saved=1', '?saved=%00'),
  })),
  'GET /ready/:token/check': page(null, (fx) => ({
    minAccepted: 0.15,
    path: at('/ready/:p/check', linkToken(fx.tokens.readiness)),
  })),
  'POST /ready/:token': page(null, (fx) => ({
    minAccepted: 0.04,
    path: at('/ready/:p', linkToken(fx.tokens.readiness)),
    body: formBody({ answer: fc.constantFrom(...readinessAnswerInput.shape.answer.options), delegateName: fc.string(), reason: fc.string() }),
  })),
  'GET /join/:token': page(null, (fx) => ({ minAccepted: 0.15, path: at('/join/:p', linkToken(fx.tokens.join)) })),
  'GET /account': page('leader', () => ({ minAccepted: 0.5, path: fixed('/account'), query: fc.constantFrom('', '?done=1', '?done=%00') })),
  'GET /admin/users': page('admin', () => ({ minAccepted: 0.5, path: fixed('/admin/users'), query: fc.constantFrom('', '?done=1') })),
  'GET /admin/nodes': page('admin', () => ({ minAccepted: 0.5, path: fixed('/admin/nodes'), query: fc.constantFrom('', '?done=1') })),
  'POST /admin/nodes/:id/drain': page('admin', () => ({
    minAccepted: 0.05,
    path: at('/admin/nodes/:p/drain', pathParam(fc.oneof({ arbitrary: fc.constant('spare'), weight: 4 }, { arbitrary: fc.string(), weight: 1 }))),
    body: formBody({ draining: fc.constantFrom('0', '1') }),
  })),
  'POST /admin/nodes/:id/move-sites': page('admin', () => ({
    minAccepted: 0.05,
    path: at('/admin/nodes/:p/move-sites', pathParam(fc.oneof({ arbitrary: fc.constant('spare'), weight: 4 }, { arbitrary: fc.string(), weight: 1 }))),
    body: formBody({ confirm: fc.constantFrom('1', '1', '0', '') }),
  })),
  'POST /admin/nodes/provinces': page('admin', () => ({
    minAccepted: 0.05,
    path: fixed('/admin/nodes/provinces'),
    body: formBody({ province: fc.constantFrom('44', '44', '01'), nodeId: fc.constantFrom('main', 'spare', '') }),
  })),
  'GET /audit': page('secretariat', (fx) => ({ minAccepted: 0.05, path: fixed('/audit'), query: queryString(auditPageQuery, fx.hints) })),
  'GET /forgot-password': page(null, () => ({ minAccepted: 0.5, path: fixed('/forgot-password'), query: fc.constantFrom('', '?sent=1') })),
  'POST /forgot-password': page(null, () => ({
    minAccepted: 0.05,
    path: fixed('/forgot-password'),
    body: formBody({ email: fc.constantFrom('leader@test.hoinghi', 'x@y.vn') }),
  })),
  'GET /reset-password/:token': page(null, () => ({
    minAccepted: 0.5,
    path: at('/reset-password/:p', pathParam(fc.base64String({ minLength: 40, maxLength: 48 }))),
  })),
  'POST /reset-password/:token': page(null, () => ({
    minAccepted: 0,
    path: at('/reset-password/:p', pathParam(fc.base64String({ minLength: 40, maxLength: 48 }))),
    body: formBody({ password: fc.string() }),
  })),
  'GET /mail': page('secretariat', () => ({ minAccepted: 0.5, path: fixed('/mail') })),
  'GET /mail/:id': page('secretariat', (fx) => ({ minAccepted: 0.2, path: at('/mail/:p', mailId(fx)) })),
  'GET /mail/:id/message.eml': page('secretariat', (fx) => ({
    minAccepted: 0.2,
    path: at('/mail/:p/message.eml', mailId(fx)),
    okContentType: /message\/rfc822/,
  })),
  'GET /mail/:id/invite.ics': page('secretariat', (fx) => ({ minAccepted: 0.2, path: at('/mail/:p/invite.ics', mailId(fx)), okContentType: /text\/calendar/ })),
  // The built, hashed names (web/dist/manifest.json), and now and then a name from before the build step.
  'GET /static/:name': page(null, () => ({
    minAccepted: 0.3,
    path: at(
      '/static/:p',
      pathParam(
        fc.oneof(
          { arbitrary: fc.constantFrom(...Object.keys(builtAssets().manifest.files)), weight: 4 },
          { arbitrary: fc.constantFrom('app.css', 'conference-join.js', 'manifest.json'), weight: 1 },
        ),
      ),
    ),
    okContentType: /text\/(css|javascript)/,
  })),
});

/** Sends RUNS generated requests to one route, signed in with its role; the answers by status class. */
export function fuzzRoute(fx: FuzzFixture, route: FuzzRoute): Promise<Record<string, number>> {
  return runFuzz((path, init) => fx.t.app.request(path, init), route, { runs: RUNS, seed: SEED, ...(route.role ? { cookie: fx.t.cookies[route.role] } : {}) });
}
