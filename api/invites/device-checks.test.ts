/**
 * Device checks through the public surface, on both drivers: the check page, the token-
 * authenticated POST (bad input and foreign tokens write nothing), the rate limit, and the
 * secretariat's readiness view (latest check per site, the sites that never checked first).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceChecks } from '../../db/schema.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { mintMeetingTokens } from './site-tokens.ts';

const hours = (n: number) => new Date(TEST_NOW.getTime() + n * 3600_000).toISOString();

describe.each(DRIVERS)('device checks on %s', (driver) => {
  let t: TestApp;
  let hall: string;
  let communes: { id: string; name: string }[];
  let slot = 0;

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44'] });
    const halls = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string; unitCode: string }[];
    hall = halls.find((h) => h.unitCode === '44')!.id;
    communes = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites.filter(
      (s: { kind: string }) => s.kind === 'commune',
    );
  });
  afterAll(async () => {
    await t.close();
  });

  async function schedule(siteIds: string[]) {
    const start = 48 + 4 * slot++;
    const response = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: { title: `Họp giao ban ${slot}`, hostSiteId: hall, startsAt: hours(start), endsAt: hours(start + 2), siteIds, allowConflicts: true },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as { id: string; endsAt: string };
  }
  const readinessToken = async (meeting: { id: string; endsAt: string }, siteId: string) =>
    (await mintMeetingTokens(t.database.db, { meetingId: meeting.id, siteId, expiresAt: new Date(meeting.endsAt), purposes: ['readiness'] })).readiness;
  const check = (token: string, over: Record<string, unknown> = {}) => ({
    token,
    browser: 'Chrome 131 · Linux',
    cameraOk: true,
    micOk: true,
    rttMs: 42,
    lossPercent: 0.4,
    ...over,
  });
  const post = (meetingId: string, body: unknown) => t.request('POST', `/api/meetings/${meetingId}/device-checks`, { body });
  const rowsOf = (meetingId: string) => t.database.db.select().from(deviceChecks).where(eq(deviceChecks.meetingId, meetingId));

  it('stores a check sent with the site readiness token, and shows the check page', async () => {
    const [a] = communes;
    const meeting = await schedule([a!.id]);
    const token = await readinessToken(meeting, a!.id);

    const page = await t.request('GET', `/ready/${token}/check`);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.body).toContain(a!.name);
    expect(page.body).toContain(`href="/ready/${token}"`); // on to the readiness answer
    expect(page.body).not.toMatch(/<script(?![^>]*src=)/);

    const saved = await post(meeting.id, check(token));
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect(saved.body).toMatchObject({ browser: 'Chrome 131 · Linux', cameraOk: true, micOk: true, rttMs: 42, lossPercent: 0.4 });
    const rows = await rowsOf(meeting.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ siteId: a!.id, rttMs: 42, lossPermille: 4, checkedAt: TEST_NOW });
    // The page shows it as the last check.
    expect((await t.request('GET', `/ready/${token}/check`)).body).toContain('42 ms');
    // A check that did not reach the SFU has no figures.
    expect((await post(meeting.id, check(token, { rttMs: null, lossPercent: null, cameraOk: false }))).status).toBe(201);
    expect((await rowsOf(meeting.id)).filter((r) => r.rttMs === null)).toHaveLength(1);
  });

  it('refuses bad input, foreign or unknown tokens and writes nothing', async () => {
    const [a, b] = [communes[5]!, communes[6]!];
    const meeting = await schedule([a.id]);
    const other = await schedule([b.id]);
    const token = await readinessToken(meeting, a.id);
    const otherToken = await readinessToken(other, b.id);
    const joinToken = (await mintMeetingTokens(t.database.db, { meetingId: meeting.id, siteId: a.id, expiresAt: new Date(meeting.endsAt), purposes: ['join'] }))
      .join;

    for (const bad of [
      check(token, { rttMs: -1 }),
      check(token, { rttMs: 12.5 }),
      check(token, { lossPercent: 101 }),
      check(token, { cameraOk: 'yes' }),
      check(token, { browser: '' }),
      check(token, { browser: 'x'.repeat(201) }),
      check(token, { extra: 1 }),
      { token },
    ]) {
      const response = await post(meeting.id, bad);
      expect(response.status, JSON.stringify(bad)).toBe(400);
      expect(response.body.error.code).toBe('bad_request');
    }
    expect(
      (await t.request('POST', `/api/meetings/${meeting.id}/device-checks`, { rawBody: 'nope', headers: { 'content-type': 'application/json' } })).status,
    ).toBe(400);
    expect((await post('not-a-uuid', check(token))).status).toBe(400);
    // Another meeting's token: refused, not stored under either meeting.
    expect((await post(meeting.id, check(otherToken))).status).toBe(403);
    // A join token is not a readiness token; made-up ones are unknown.
    expect((await post(meeting.id, check(joinToken))).status).toBe(404);
    expect((await post(meeting.id, check('x'.repeat(43)))).status).toBe(404);
    expect(await rowsOf(meeting.id)).toHaveLength(0);
    expect(await rowsOf(other.id)).toHaveLength(0);

    // A cancelled meeting takes no checks (its tokens are revoked).
    await t.request('POST', `/api/meetings/${other.id}/cancel`, { cookie: t.cookies.secretariat, body: {} });
    expect((await post(other.id, check(otherToken))).status).toBe(410);
    expect(await rowsOf(other.id)).toHaveLength(0);
  });

  it('limits checks per site', async () => {
    const site = communes[9]!;
    const meeting = await schedule([site.id]);
    const token = await readinessToken(meeting, site.id);
    for (let i = 0; i < 10; i++) expect((await post(meeting.id, check(token))).status).toBe(201);
    const limited = await post(meeting.id, check(token));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await rowsOf(meeting.id)).toHaveLength(10);
  });

  it('shows each site its latest check in the readiness view, the sites that never checked first', async () => {
    const sites = communes.slice(12, 16);
    const meeting = await schedule(sites.map((s) => s.id));
    const [first, second] = [sites[0]!, sites[2]!];
    const firstToken = await readinessToken(meeting, first.id);
    await post(meeting.id, check(firstToken, { rttMs: 300 }));
    t.clock.now = new Date(TEST_NOW.getTime() + 60_000);
    await post(meeting.id, check(firstToken, { rttMs: 35, lossPercent: 1.5 }));
    t.clock.now = TEST_NOW;
    await post(meeting.id, check(await readinessToken(meeting, second.id), { micOk: false, rttMs: 80 }));

    const view = await t.request('GET', `/api/meetings/${meeting.id}/invites`, { cookie: t.cookies.secretariat });
    expect(view.status).toBe(200);
    const rows = view.body.sites as { siteId: string; role: string | null; deviceCheck: { rttMs: number; lossPercent: number; micOk: boolean } | null }[];
    expect(rows[0]!.role).toBe('host');
    const participants = rows.filter((r) => r.role === 'participant');
    // Never checked first, then the checked ones; each group in the directory's order.
    const checked = new Set([first.id, second.id]);
    expect(participants.map((r) => checked.has(r.siteId))).toEqual([false, false, true, true]);
    expect(participants.find((r) => r.siteId === first.id)!.deviceCheck).toMatchObject({ rttMs: 35, lossPercent: 1.5, micOk: true });
    expect(participants.find((r) => r.siteId === second.id)!.deviceCheck).toMatchObject({ rttMs: 80, micOk: false });
    expect(view.body.summary.unchecked).toBe(2);

    // The page shows the same, beside the answer.
    const page = await t.request('GET', `/meetings/${meeting.id}/invites`, { cookie: t.cookies.secretariat });
    expect(page.status).toBe(200);
    const order = [...page.body.matchAll(/<tr data-site-id="([^"]+)"/g)].map((m) => m[1]);
    expect(order.indexOf(first.id)).toBeGreaterThan(order.indexOf(sites[1]!.id));
    expect(page.body).toContain('35 ms');
    expect(page.body).toContain('Chưa kiểm tra thiết bị');
    // And the host's console lists the sites not in the meeting with the same figures.
    const console = await t.request('GET', `/meetings/${meeting.id}/console`, { cookie: t.cookies.secretariat });
    expect(console.status).toBe(200);
    expect(console.body).toContain('id="not-joined"');
    expect(console.body).toContain('35 ms');
  });
});
