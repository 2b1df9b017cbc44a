/**
 * The authorization matrix: role × unit × action over the API routes, the pages, the console's
 * WebSocket authentication and the calendar feed, on PGlite and PostgreSQL.
 *
 * Every expected answer below is written by hand from the rules (the README's "Who may do
 * what"), not derived from api/auth/policy.ts, which is what this checks. The README's table is
 * rendered from this matrix and must be in the README word for word. Every refused cell is
 * also checked to have changed nothing in the database.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignalingAuthenticator } from '../../api/conference/authenticator.ts';
import type { AuthenticatedUser } from '../../api/context.ts';
import { SignalingError } from '../../sfu/index.ts';
import { registerNode } from '../../api/nodes/registry.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../support/app.ts';
import { DRIVERS } from '../support/database.ts';

const ACTORS = ['anonymous', 'vnSecretariat', 'vnLeader', 'vnAdmin', 'qtSecretariat', 'qtAdmin', 'hnLeader'] as const;
type ActorName = (typeof ACTORS)[number];
const ACTOR_LABELS: Record<ActorName, string> = {
  anonymous: 'not signed in',
  vnSecretariat: 'secretariat VN',
  vnLeader: 'leader VN',
  vnAdmin: 'admin VN',
  qtSecretariat: 'secretariat 44',
  qtAdmin: 'admin 44',
  hnLeader: 'leader 01',
};

/** An HTTP status, or for the console's WebSocket the signaling answer. */
type Outcome = number | 'joins' | 'unauthorized' | 'forbidden';
type Row = readonly [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];

interface Fixtures {
  halls: { vn: string; qt: string; hn: string };
  qtCommunes: [string, string];
  hnCommunes: [string, string];
  meetings: { qt: string; hn: string; vn: string };
  qtFeedPath: string;
}

type MeetingKind = 'qt' | 'hn' | 'vn';

interface Action {
  /** How the README names it. */
  label: string;
  /** A meeting made for each cell, for actions that use it up (change, cancel). */
  fresh?: MeetingKind;
  run(t: TestApp, f: Fixtures, cookie: string | null, fresh: string | undefined): Promise<Outcome>;
  expected: Row;
}

/** Attaches a (tiny, real) PDF to the cell's own meeting. */
async function putAttachment(t: TestApp, _f: Fixtures, cookie: string | null, fresh: string | undefined): Promise<Outcome> {
  const response = await t.app.request(`/api/meetings/${fresh}/attachment?fileName=giay-moi.pdf`, {
    method: 'PUT',
    body: '%PDF-1.4\n%%EOF\n',
    headers: { 'content-type': 'application/pdf', ...(cookie ? { cookie } : {}) },
  });
  return response.status;
}

const WHEN = { startsAt: '2026-12-05T09:00:00+07:00', endsAt: '2026-12-05T10:00:00+07:00' };

const api =
  (method: string, path: (f: Fixtures, fresh: string | undefined) => string, body?: (f: Fixtures) => unknown) =>
  async (t: TestApp, f: Fixtures, cookie: string | null, fresh: string | undefined): Promise<Outcome> => {
    const response = await t.request(method, path(f, fresh), { cookie, ...(body ? { body: body(f) } : method === 'GET' ? {} : { body: {} }) });
    return response.status;
  };

const page =
  (method: 'GET' | 'POST', path: (f: Fixtures, fresh: string | undefined) => string, body = '') =>
  async (t: TestApp, f: Fixtures, cookie: string | null, fresh: string | undefined): Promise<Outcome> => {
    const headers: Record<string, string> = { accept: 'text/html' };
    if (cookie) headers.cookie = cookie;
    if (method === 'POST') Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' });
    const response = await t.app.request(path(f, fresh), { method, headers, ...(method === 'POST' ? { body } : {}) });
    if (response.status >= 400) expect(response.headers.get('content-type')).toMatch(/text\/html/);
    return response.status;
  };

const console_ =
  (meeting: (f: Fixtures) => string) =>
  async (t: TestApp, f: Fixtures, cookie: string | null): Promise<Outcome> => {
    const authenticator = createSignalingAuthenticator(t.ctx);
    try {
      await authenticator.authenticate({ meetingId: meeting(f), ...(cookie ? { cookieHeader: cookie } : {}) });
      return 'joins';
    } catch (error) {
      if (error instanceof SignalingError && (error.code === 'unauthorized' || error.code === 'forbidden')) return error.code;
      throw error;
    }
  };

const newMeeting = (host: keyof Fixtures['halls'], sites: (f: Fixtures) => string[]) => (f: Fixtures) => ({
  title: 'Giao ban',
  hostSiteId: f.halls[host],
  siteIds: sites(f),
  ...WHEN,
  allowConflicts: true,
});

const ACTIONS: Action[] = [
  // ------------------------------------------------------------------ JSON API
  { label: '`GET /api/meetings`', run: api('GET', () => '/api/meetings'), expected: [401, 200, 200, 200, 200, 200, 200] },
  {
    label: '`GET /api/meetings/:id` of a Quảng Trị meeting',
    run: api('GET', (f) => `/api/meetings/${f.meetings.qt}`),
    expected: [401, 200, 200, 200, 200, 200, 403],
  },
  {
    label: '`GET /api/meetings/:id` of a Hà Nội meeting',
    run: api('GET', (f) => `/api/meetings/${f.meetings.hn}`),
    expected: [401, 200, 200, 200, 403, 403, 200],
  },
  {
    label: '`GET /api/meetings/:id` of a national meeting with sites of 44 and 01',
    run: api('GET', (f) => `/api/meetings/${f.meetings.vn}`),
    expected: [401, 200, 200, 200, 200, 200, 200],
  },
  {
    label: '`POST /api/meetings` hosted in 44, inviting communes of 44',
    run: api(
      'POST',
      () => '/api/meetings',
      newMeeting('qt', (f) => [f.qtCommunes[1]]),
    ),
    expected: [401, 201, 403, 201, 201, 201, 403],
  },
  {
    label: '`POST /api/meetings` hosted in 44, inviting a commune of 01',
    run: api(
      'POST',
      () => '/api/meetings',
      newMeeting('qt', (f) => [f.hnCommunes[1]]),
    ),
    expected: [401, 201, 403, 201, 403, 403, 403],
  },
  {
    label: '`POST /api/meetings` national, spanning provinces',
    run: api(
      'POST',
      () => '/api/meetings',
      newMeeting('vn', (f) => [f.qtCommunes[1], f.hnCommunes[1]]),
    ),
    expected: [401, 201, 403, 201, 403, 403, 403],
  },
  {
    label: '`POST /api/meetings` with `unitCodes: ["01"]` from the hall of 44',
    run: api(
      'POST',
      () => '/api/meetings',
      (f) => ({ ...newMeeting('qt', () => [])(f), unitCodes: ['01'] }),
    ),
    expected: [401, 201, 403, 201, 403, 403, 403],
  },
  {
    label: '`POST /api/meetings/series` hosted in 44, inviting communes of 44',
    run: api(
      'POST',
      () => '/api/meetings/series',
      (f) => ({ ...newMeeting('qt', (g) => [g.qtCommunes[1]])(f), recurrence: { frequency: 'weekly', count: 2 } }),
    ),
    expected: [401, 201, 403, 201, 201, 201, 403],
  },
  {
    label: '`POST /api/meetings/series` hosted in 44, inviting a commune of 01',
    run: api(
      'POST',
      () => '/api/meetings/series',
      (f) => ({ ...newMeeting('qt', (g) => [g.hnCommunes[1]])(f), recurrence: { frequency: 'weekly', count: 2 } }),
    ),
    expected: [401, 201, 403, 201, 403, 403, 403],
  },
  {
    label: '`POST /api/meetings/series/preview`',
    run: api(
      'POST',
      () => '/api/meetings/series/preview',
      () => ({ ...WHEN, recurrence: { frequency: 'monthly-weekday', count: 3 } }),
    ),
    expected: [401, 200, 403, 200, 200, 200, 403],
  },
  {
    label: '`PATCH /api/meetings/:id` of a Quảng Trị meeting',
    fresh: 'qt',
    run: api(
      'PATCH',
      (_, id) => `/api/meetings/${id}`,
      () => ({ title: 'Giao ban (sửa)' }),
    ),
    expected: [401, 200, 403, 200, 200, 200, 403],
  },
  {
    label: '`PATCH /api/meetings/:id` of a national meeting',
    fresh: 'vn',
    run: api(
      'PATCH',
      (_, id) => `/api/meetings/${id}`,
      () => ({ title: 'Giao ban (sửa)' }),
    ),
    expected: [401, 200, 403, 200, 403, 403, 403],
  },
  {
    label: '`POST /api/meetings/:id/cancel` of a Quảng Trị meeting',
    fresh: 'qt',
    run: api('POST', (_, id) => `/api/meetings/${id}/cancel`),
    expected: [401, 200, 403, 200, 200, 200, 403],
  },
  {
    label: '`POST /api/meetings/:id/cancel` of a Hà Nội meeting',
    fresh: 'hn',
    run: api('POST', (_, id) => `/api/meetings/${id}/cancel`),
    expected: [401, 200, 403, 200, 403, 403, 403],
  },
  {
    label: '`PUT /api/meetings/:id/attachment` of a Quảng Trị meeting',
    fresh: 'qt',
    run: putAttachment,
    expected: [401, 200, 403, 200, 200, 200, 403],
  },
  {
    label: '`PUT /api/meetings/:id/attachment` of a national meeting',
    fresh: 'vn',
    run: putAttachment,
    expected: [401, 200, 403, 200, 403, 403, 403],
  },
  {
    label: '`GET /api/meetings/:id/invites` of a Quảng Trị meeting',
    run: api('GET', (f) => `/api/meetings/${f.meetings.qt}/invites`),
    expected: [401, 200, 200, 200, 200, 200, 403],
  },
  {
    label: '`GET /api/meetings/:id/invites` of a national meeting',
    run: api('GET', (f) => `/api/meetings/${f.meetings.vn}/invites`),
    expected: [401, 200, 200, 200, 403, 403, 403],
  },
  {
    label: '`POST /api/meetings/:id/invites/resend` of a Quảng Trị meeting',
    fresh: 'qt',
    run: api('POST', (_, id) => `/api/meetings/${id}/invites/resend`),
    expected: [401, 200, 403, 200, 200, 200, 403],
  },
  {
    label: '`POST /api/meetings/:id/invites/resend` of a national meeting',
    fresh: 'vn',
    run: api('POST', (_, id) => `/api/meetings/${id}/invites/resend`),
    expected: [401, 200, 403, 200, 403, 403, 403],
  },
  {
    label: '`POST /api/meetings/:id/sites/:siteId/rotate-links` of a Quảng Trị meeting',
    fresh: 'qt',
    run: api('POST', (f, id) => `/api/meetings/${id}/sites/${f.qtCommunes[0]}/rotate-links`),
    expected: [401, 200, 403, 200, 200, 200, 403],
  },
  {
    label: '`POST /api/meetings/:id/sites/:siteId/rotate-links` of a national meeting',
    fresh: 'vn',
    run: api('POST', (f, id) => `/api/meetings/${id}/sites/${f.qtCommunes[0]}/rotate-links`),
    expected: [401, 200, 403, 200, 403, 403, 403],
  },
  {
    label: '`GET /api/meetings/:id/attendance` of a Quảng Trị meeting',
    run: api('GET', (f) => `/api/meetings/${f.meetings.qt}/attendance`),
    expected: [401, 200, 200, 200, 200, 200, 403],
  },
  {
    label: '`GET /api/meetings/:id/attendance` of a national meeting (own sites only below VN)',
    run: api('GET', (f) => `/api/meetings/${f.meetings.vn}/attendance`),
    expected: [401, 200, 200, 200, 200, 200, 200],
  },
  {
    label: '`GET /api/meetings/:id/attendance/live` of a Hà Nội meeting',
    run: api('GET', (f) => `/api/meetings/${f.meetings.hn}/attendance/live`),
    expected: [401, 200, 200, 200, 403, 403, 200],
  },
  {
    label: '`GET /api/reports/attendance` (own province below VN)',
    run: api('GET', () => '/api/reports/attendance'),
    expected: [401, 200, 200, 200, 200, 200, 200],
  },
  {
    label: '`GET /api/reports/attendance?province=01`',
    run: api('GET', () => '/api/reports/attendance?province=01'),
    expected: [401, 200, 200, 200, 403, 403, 200],
  },
  { label: '`GET /api/units?level=province`', run: api('GET', () => '/api/units?level=province'), expected: [401, 200, 200, 200, 200, 200, 200] },
  {
    label: '`GET /api/units/44/sites` (contacts only within the subtree)',
    run: api('GET', () => '/api/units/44/sites'),
    expected: [401, 200, 200, 200, 200, 200, 200],
  },
  {
    label: '`POST /api/sites/:id/calendar-token` of a commune of 44',
    run: api('POST', (f) => `/api/sites/${f.qtCommunes[0]}/calendar-token`),
    expected: [401, 201, 403, 201, 201, 201, 403],
  },
  {
    label: '`POST /api/sites/:id/calendar-token` of a commune of 01',
    run: api('POST', (f) => `/api/sites/${f.hnCommunes[0]}/calendar-token`),
    expected: [401, 201, 403, 201, 403, 403, 403],
  },
  { label: '`GET /api/directory/units/44`', run: api('GET', () => '/api/directory/units/44'), expected: [401, 200, 403, 200, 200, 200, 403] },
  { label: '`GET /api/directory/units/01`', run: api('GET', () => '/api/directory/units/01'), expected: [401, 200, 403, 200, 403, 403, 403] },
  {
    label: '`PATCH /api/directory/sites/:id` of a commune of 44',
    run: api(
      'PATCH',
      (f) => `/api/directory/sites/${f.qtCommunes[0]}`,
      () => ({ note: 'Hội trường tầng 2' }),
    ),
    expected: [401, 200, 403, 200, 200, 200, 403],
  },
  {
    label: '`PATCH /api/directory/sites/:id` of a commune of 01',
    run: api(
      'PATCH',
      (f) => `/api/directory/sites/${f.hnCommunes[0]}`,
      () => ({ note: 'Hội trường tầng 2' }),
    ),
    expected: [401, 200, 403, 200, 403, 403, 403],
  },
  {
    label: '`POST /api/users` an account of 44',
    run: async (t, _f, cookie) =>
      (
        await t.request('POST', '/api/users', {
          cookie,
          body: {
            email: `a${Math.random().toString(36).slice(2)}@test.hoinghi`,
            displayName: 'Lãnh đạo',
            role: 'leader',
            unitCode: '44',
            password: 'a long enough password',
          },
        })
      ).status,
    expected: [401, 403, 403, 201, 403, 201, 403],
  },
  {
    label: '`POST /api/users` an account of 01',
    run: async (t, _f, cookie) =>
      (
        await t.request('POST', '/api/users', {
          cookie,
          body: {
            email: `a${Math.random().toString(36).slice(2)}@test.hoinghi`,
            displayName: 'Lãnh đạo',
            role: 'leader',
            unitCode: '01',
            password: 'a long enough password',
          },
        })
      ).status,
    expected: [401, 403, 403, 201, 403, 403, 403],
  },
  { label: '`GET /api/auth/me`', run: api('GET', () => '/api/auth/me'), expected: [401, 200, 200, 200, 200, 200, 200] },
  { label: '`GET /api/users` (the accounts of the subtree)', run: api('GET', () => '/api/users'), expected: [401, 403, 403, 200, 403, 200, 403] },
  { label: '`GET /api/audit` (the entries of the subtree)', run: api('GET', () => '/api/audit'), expected: [401, 200, 403, 200, 200, 200, 403] },
  {
    label: '`POST /api/meetings/:id/console/node` of a Quảng Trị meeting (the host hall’s node)',
    run: api('POST', (f) => `/api/meetings/${f.meetings.qt}/console/node`),
    expected: [401, 200, 403, 200, 200, 200, 403],
  },
  {
    label: '`GET /api/meetings/:id/refused-sites` of a Quảng Trị meeting',
    run: api('GET', (f) => `/api/meetings/${f.meetings.qt}/refused-sites`),
    expected: [401, 200, 403, 200, 200, 200, 403],
  },
  { label: '`GET /api/nodes` (the conference servers)', run: api('GET', () => '/api/nodes'), expected: [401, 403, 403, 200, 403, 403, 403] },
  {
    label: '`POST /api/nodes/:id/drain`',
    run: api(
      'POST',
      () => '/api/nodes/main/drain',
      () => ({ draining: false }),
    ),
    expected: [401, 403, 403, 200, 403, 403, 403],
  },
  {
    label: '`POST /api/nodes/:id/move-sites`',
    run: api(
      'POST',
      () => '/api/nodes/spare/move-sites',
      () => ({}),
    ),
    expected: [401, 403, 403, 200, 403, 403, 403],
  },
  { label: "`GET /api/auth/sign-ins` (one's own)", run: api('GET', () => '/api/auth/sign-ins'), expected: [401, 200, 200, 200, 200, 200, 200] },
  // ------------------------------------------------------------------ pages
  { label: 'page `/`', run: page('GET', () => '/'), expected: [303, 200, 200, 200, 200, 200, 200] },
  { label: 'page `/meetings/new`', run: page('GET', () => '/meetings/new'), expected: [303, 200, 403, 200, 200, 200, 403] },
  { label: 'page `/directory` (below VN: to its own unit)', run: page('GET', () => '/directory'), expected: [303, 200, 403, 200, 303, 303, 403] },
  {
    label: 'page `/directory/sites/:id` of a commune of 44',
    run: page('GET', (f) => `/directory/sites/${f.qtCommunes[0]}`),
    expected: [303, 200, 403, 200, 200, 200, 403],
  },
  {
    label: 'page `/meetings/:id` of a Quảng Trị meeting',
    run: page('GET', (f) => `/meetings/${f.meetings.qt}`),
    expected: [303, 200, 200, 200, 200, 200, 403],
  },
  {
    label: 'page `/meetings/:id/invites` of a Hà Nội meeting',
    run: page('GET', (f) => `/meetings/${f.meetings.hn}/invites`),
    expected: [303, 200, 200, 200, 403, 403, 200],
  },
  {
    label: 'page `/meetings/:id/attendance` of a Quảng Trị meeting',
    run: page('GET', (f) => `/meetings/${f.meetings.qt}/attendance`),
    expected: [303, 200, 200, 200, 200, 200, 403],
  },
  {
    label: 'page `/meetings/:id/live` of a Hà Nội meeting',
    run: page('GET', (f) => `/meetings/${f.meetings.hn}/live`),
    expected: [303, 200, 200, 200, 403, 403, 200],
  },
  { label: 'page `/reports`', run: page('GET', () => '/reports'), expected: [303, 200, 200, 200, 200, 200, 200] },
  { label: 'page `/reports?province=01`', run: page('GET', () => '/reports?province=01'), expected: [303, 200, 200, 200, 403, 403, 200] },
  { label: 'page `/mail` (the local mail folder)', run: page('GET', () => '/mail'), expected: [303, 200, 403, 200, 403, 403, 403] },
  { label: 'page `/admin/users`', run: page('GET', () => '/admin/users'), expected: [303, 403, 403, 200, 403, 200, 403] },
  { label: 'page `/admin/nodes` (the conference servers)', run: page('GET', () => '/admin/nodes'), expected: [303, 403, 403, 200, 403, 403, 403] },
  { label: 'page `/audit`', run: page('GET', () => '/audit'), expected: [303, 200, 403, 200, 200, 200, 403] },
  { label: 'page `/account`', run: page('GET', () => '/account'), expected: [303, 200, 200, 200, 200, 200, 200] },
  { label: 'page `/forgot-password`', run: page('GET', () => '/forgot-password'), expected: [200, 200, 200, 200, 200, 200, 200] },
  {
    label: 'page `/meetings/:id/console` of a Quảng Trị meeting',
    run: page('GET', (f) => `/meetings/${f.meetings.qt}/console`),
    expected: [303, 200, 403, 200, 200, 200, 403],
  },
  {
    label: 'page `/meetings/:id/console` of a Hà Nội meeting',
    run: page('GET', (f) => `/meetings/${f.meetings.hn}/console`),
    expected: [303, 200, 403, 200, 403, 403, 403],
  },
  {
    label: 'form `POST /meetings/:id/cancel` of a Quảng Trị meeting',
    fresh: 'qt',
    // The page asks for a ticked confirmation and a reason before it cancels.
    run: page('POST', (_, id) => `/meetings/${id}/cancel`, 'confirm=yes&reason=Ho%C3%A3n'),
    expected: [303, 303, 403, 303, 303, 303, 403],
  },
  // ------------------------------------------------------------------ console WebSocket, calendar feed
  {
    label: 'console WebSocket `join` of a Quảng Trị meeting',
    run: console_((f) => f.meetings.qt),
    expected: ['unauthorized', 'joins', 'forbidden', 'joins', 'joins', 'joins', 'forbidden'],
  },
  {
    label: 'console WebSocket `join` of a national meeting',
    run: console_((f) => f.meetings.vn),
    expected: ['unauthorized', 'joins', 'forbidden', 'joins', 'forbidden', 'forbidden', 'forbidden'],
  },
  { label: 'calendar feed of a commune of 44 with its token', run: api('GET', (f) => f.qtFeedPath), expected: [200, 200, 200, 200, 200, 200, 200] },
  {
    label: 'calendar feed of a commune of 01 with the token of 44',
    run: api('GET', (f) => f.qtFeedPath.replace(/sites\/[^.]+\.ics/, `sites/${f.hnCommunes[0]}.ics`)),
    expected: [404, 404, 404, 404, 404, 404, 404],
  },
];

/** The README's table, rendered from the matrix. */
function readmeTable(): string {
  const header = `| action | ${ACTORS.map((a) => ACTOR_LABELS[a]).join(' | ')} |`;
  const rule = `| --- | ${ACTORS.map(() => '---').join(' | ')} |`;
  return [header, rule, ...ACTIONS.map((a) => `| ${a.label} | ${a.expected.join(' | ')} |`)].join('\n');
}

it('the README\'s "Who may do what" table is this matrix', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(readmeTable());
});

describe.each(DRIVERS)('who may do what on %s', (driver) => {
  let t: TestApp;
  let f: Fixtures;
  let cookies: Record<ActorName, string | null>;
  let author: AuthenticatedUser;

  const fingerprint = async () => {
    const rows = await t.ctx.db.execute(sql`select
      (select count(*)::int from meetings) as meetings,
      (select coalesce(sum(sequence), 0)::int from meetings) as sequences,
      (select count(*)::int from meetings where status = 'cancelled') as cancelled,
      (select coalesce(string_agg(title, '|' order by id), '') from meetings) as titles,
      (select count(*)::int from meeting_participants) as participants,
      (select count(*)::int from users) as users,
      (select count(*)::int from invites) as invites,
      (select count(*)::int from site_tokens) as tokens,
      (select count(*)::int from site_tokens where revoked_at is not null) as revoked`);
    return JSON.stringify((rows as unknown as { rows?: unknown[] }).rows ?? rows);
  };

  const schedule = async (kind: MeetingKind): Promise<string> => {
    const bodies = {
      qt: { hostSiteId: f.halls.qt, siteIds: [...f.qtCommunes] },
      hn: { hostSiteId: f.halls.hn, siteIds: [...f.hnCommunes] },
      vn: { hostSiteId: f.halls.vn, siteIds: [f.qtCommunes[0], f.hnCommunes[0]] },
    };
    const meeting = await t.services.meetings.create(
      { title: `Họp ${kind}`, ...bodies[kind], startsAt: new Date(WHEN.startsAt), endsAt: new Date(WHEN.endsAt), allowConflicts: true },
      author,
    );
    return meeting.id;
  };

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44', '01'] });
    // One conference server, so the console's placement has somewhere to go.
    await registerNode(t.ctx.db, { id: 'main', signalingUrl: 'ws://hoinghi.test/ws', mediaAddress: '127.0.0.1', capacity: 100 }, TEST_NOW);
    // the node whose sites the operator moves (moving main's would drain the node the other rows place on)
    await registerNode(t.ctx.db, { id: 'spare', signalingUrl: 'ws://spare.hoinghi.test/ws', mediaAddress: '127.0.0.2', capacity: 1 }, TEST_NOW);
    const qtAdmin = await t.signInAs('admin', '44');
    cookies = {
      anonymous: null,
      vnSecretariat: t.cookies.secretariat,
      vnLeader: t.cookies.leader,
      vnAdmin: t.cookies.admin,
      qtSecretariat: t.cookies.quangTriSecretariat!,
      qtAdmin,
      hnLeader: t.cookies.hanoiLeader!,
    };
    author = (await t.request('GET', '/api/auth/me', { cookie: t.cookies.secretariat })).body.user;
    const hall = async (unit: string) =>
      (await t.request('GET', `/api/units/${unit}/sites`, { cookie: t.cookies.secretariat })).body.sites.find(
        (s: { kind: string; unitCode: string }) => s.kind === 'hall' && s.unitCode === unit,
      ).id as string;
    const communes = async (unit: string) =>
      (await t.request('GET', `/api/units/${unit}/sites`, { cookie: t.cookies.secretariat })).body.sites
        .filter((s: { kind: string }) => s.kind === 'commune')
        .slice(0, 2)
        .map((s: { id: string }) => s.id) as [string, string];
    f = {
      halls: { vn: await hall('VN'), qt: await hall('44'), hn: await hall('01') },
      qtCommunes: await communes('44'),
      hnCommunes: await communes('01'),
    } as Fixtures;
    f.meetings = { qt: await schedule('qt'), hn: await schedule('hn'), vn: await schedule('vn') };
    const feed = await t.request('POST', `/api/sites/${f.qtCommunes[0]}/calendar-token`, { cookie: t.cookies.secretariat, body: {} });
    f.qtFeedPath = new URL(feed.body.url).pathname + new URL(feed.body.url).search;
  }, 120_000);
  afterAll(() => t?.close());

  it.each(ACTIONS.map((a) => [a.label, a] as const))(
    '%s',
    async (_label, action) => {
      const got: Outcome[] = [];
      for (const actor of ACTORS) {
        const fresh = action.fresh ? await schedule(action.fresh) : undefined;
        const before = await fingerprint();
        const outcome = await action.run(t, f, cookies[actor], fresh);
        got.push(outcome);
        const refused = typeof outcome === 'number' ? outcome >= 400 : outcome !== 'joins';
        if (refused) expect(await fingerprint(), `${ACTOR_LABELS[actor]} was refused yet something changed`).toBe(before);
      }
      expect(got).toEqual([...action.expected]);
    },
    60_000,
  );

  it('shows each account only its own part: lists, a national report, contacts, the dashboard', async () => {
    const listed = async (cookie: string) =>
      ((await t.request('GET', '/api/meetings?limit=100', { cookie })).body.meetings as { id: string }[]).map((m) => m.id);
    const hanoi = await listed(cookies.hnLeader!);
    expect(hanoi).toContain(f.meetings.hn);
    expect(hanoi).toContain(f.meetings.vn);
    expect(hanoi).not.toContain(f.meetings.qt);
    const quangTri = await listed(cookies.qtSecretariat!);
    expect(quangTri).toEqual(expect.arrayContaining([f.meetings.qt, f.meetings.vn]));
    expect(quangTri).not.toContain(f.meetings.hn);

    // A province's leader sees how its own sites attended a national meeting, and nothing else of it.
    const report = await t.request('GET', `/api/meetings/${f.meetings.vn}/attendance`, { cookie: cookies.hnLeader });
    expect(report.body.sites.map((s: { siteId: string }) => s.siteId)).toEqual([f.hnCommunes[0]]);
    const full = await t.request('GET', `/api/meetings/${f.meetings.vn}/attendance`, { cookie: cookies.vnLeader });
    expect(full.body.sites).toHaveLength(3);

    // Contacts only within the subtree.
    const contactsOf = async (cookie: string, unit: string) =>
      (await t.request('GET', `/api/units/${unit}/sites`, { cookie })).body.sites.map((s: { contactEmails: string[] }) => s.contactEmails.length);
    expect(new Set(await contactsOf(cookies.qtSecretariat!, '44'))).not.toContain(0);
    expect(new Set(await contactsOf(cookies.qtSecretariat!, '01'))).toEqual(new Set([0]));
    expect(new Set(await contactsOf(cookies.hnLeader!, '01'))).not.toContain(0);

    // The dashboard of a province's account is its province.
    const dashboard = await t.request('GET', '/api/reports/attendance', { cookie: cookies.qtSecretariat });
    expect(dashboard.body.province.code).toBe('44');
  });
});
