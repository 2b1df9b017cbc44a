/**
 * Property test of conflict detection against a model: random bookings of a handful of sites in
 * a small time range are sent one by one; each must be accepted exactly when no accepted,
 * non-cancelled meeting overlaps it on a shared site, and a refusal must name exactly the
 * overlapping meetings and shared sites. Cancellations free their sites.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { overlaps } from './rules.ts';

type Step = { kind: 'book'; startSlot: number; slots: number; sites: number[]; host: number } | { kind: 'cancel'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('book' as const),
      startSlot: fc.integer({ min: 0, max: 15 }),
      slots: fc.integer({ min: 1, max: 6 }),
      sites: fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
      host: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
);

describe.each(DRIVERS)('conflict detection on %s', (driver) => {
  let t: TestApp;
  let halls: string[];
  let pool: string[];
  let run = 0;

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44', '01'] });
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    halls = ((await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string }[]).map((h) => h.id);
    expect(halls).toHaveLength(3);
    pool = sites.filter((s) => s.kind === 'commune').map((s) => s.id);
  });
  afterAll(() => t.close());

  it('accepts a booking exactly when no overlapping meeting shares a site', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        // Each run books its own five communes in its own week, so runs cannot see each other.
        run++;
        const sites = pool.slice((run * 5) % 70, ((run * 5) % 70) + 5);
        const base = TEST_NOW.getTime() + run * 7 * 24 * 3600_000;
        const slot = (n: number) => new Date(base + n * 30 * 60_000);
        const accepted: { id: string; startsAt: Date; endsAt: Date; sites: Set<string>; cancelled: boolean }[] = [];

        for (const s of steps) {
          if (s.kind === 'cancel') {
            const live = accepted.filter((m) => !m.cancelled);
            if (!live.length) continue;
            const victim = live[s.pick % live.length]!;
            const response = await t.request('POST', `/api/meetings/${victim.id}/cancel`, { cookie: t.cookies.secretariat, body: {} });
            expect(response.status).toBe(200);
            victim.cancelled = true;
            continue;
          }
          const host = halls[s.host]!;
          const wanted = { startsAt: slot(s.startSlot), endsAt: slot(s.startSlot + s.slots), sites: new Set([...s.sites.map((i) => sites[i]!), host]) };
          // Model: the live meetings that overlap in time and share a site (hosts included).
          const expected = accepted.filter((m) => !m.cancelled && overlaps(m, wanted) && [...m.sites].some((id) => wanted.sites.has(id)));
          const response = await t.request('POST', '/api/meetings', {
            cookie: t.cookies.secretariat,
            body: {
              title: `Run ${run}`,
              hostSiteId: host,
              startsAt: wanted.startsAt.toISOString(),
              endsAt: wanted.endsAt.toISOString(),
              siteIds: s.sites.map((i) => sites[i]!),
            },
          });
          if (expected.length === 0) {
            expect(response.status).toBe(201);
            accepted.push({ id: response.body.id, ...wanted, cancelled: false });
          } else {
            expect(response.status).toBe(409);
            const reported = response.body.error.details.conflicts as { meetingId: string; sites: { id: string }[] }[];
            expect(new Set(reported.map((c) => c.meetingId))).toEqual(new Set(expected.map((m) => m.id)));
            for (const c of reported) {
              const model = expected.find((m) => m.id === c.meetingId)!;
              const shared = [...model.sites].filter((id) => wanted.sites.has(id));
              expect(new Set(c.sites.map((x) => x.id))).toEqual(new Set(shared));
            }
          }
        }
      }),
      { seed: 42, numRuns: 25 },
    );
  });
});
