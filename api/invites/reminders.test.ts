/**
 * When reminders go out: only after the site's invitation was delivered, and not before half
 * the time from that delivery to the start has passed. A meeting booked inside the reminder
 * window used to get its invitation and its reminder in the same second.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invites } from '../../db/schema.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { testDispatcher } from './delivery.test-support.ts';
import { createMailFolderTransport } from './mail-folder.ts';
import { mintMeetingTokens } from './site-tokens.ts';

const HOUR = 3600_000;

describe.each(DRIVERS)('reminder timing on %s', (driver) => {
  let t: TestApp;
  let dir: string;
  let hall: string;
  let communes: string[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoinghi-reminders-'));
    t = await createTestApp(driver, { provinces: ['44'] });
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    hall = sites.find((s) => s.kind === 'hall')!.id;
    communes = sites.filter((s) => s.kind === 'commune').map((s) => s.id);
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const at = (hours: number) => new Date(TEST_NOW.getTime() + hours * HOUR);
  const dispatcher = () => testDispatcher(t, createMailFolderTransport({ dir }), { concurrency: 1, reminderHoursBefore: 24 });
  const remindersOf = async (meetingId: string) =>
    (await t.database.db.select().from(invites).where(eq(invites.meetingId, meetingId))).filter((r) => r.kind === 'reminder');

  it('waits after a late invitation, reminds only sites without an answer, and starts again after an update', async () => {
    t.clock.now = TEST_NOW;
    const [a, b] = [communes[0]!, communes[1]!];
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: { title: 'Họp gấp', hostSiteId: hall, startsAt: at(3).toISOString(), endsAt: at(4).toISOString(), siteIds: [a, b] },
    });
    expect(created.status).toBe(201);
    const meetingId = created.body.id as string;
    const d = dispatcher();

    // Inside the 24-hour window, but the invitations have not even gone out.
    expect(await d.queueReminders()).toBe(0);
    await d.drain();
    // Sent now: a reminder seconds later would be noise.
    t.clock.now = at(0.01);
    expect(await d.queueReminders()).toBe(0);
    t.clock.now = at(1.4);
    expect(await d.queueReminders()).toBe(0);

    const { readiness } = await mintMeetingTokens(t.database.db, { meetingId, siteId: a, expiresAt: at(4), purposes: ['readiness'] });
    const answered = await t.request('POST', `/ready/${readiness}`, {
      rawBody: new URLSearchParams({ answer: 'attending' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
    });
    expect(answered.status).toBe(303);

    // Half-way between the invitation and the start: the sites that have not answered.
    t.clock.now = at(1.5);
    await d.queueReminders();
    expect((await remindersOf(meetingId)).map((r) => r.siteId).sort()).toEqual([hall, b].sort());

    // An update is a new invitation: its reminder waits again.
    const moved = await t.request('PATCH', `/api/meetings/${meetingId}`, { cookie: t.cookies.secretariat, body: { title: 'Họp gấp (đổi tên)' } });
    expect(moved.status).toBe(200);
    await d.drain();
    t.clock.now = at(1.6);
    await d.queueReminders();
    expect((await remindersOf(meetingId)).filter((r) => r.sequence === 1)).toEqual([]);
    t.clock.now = at(2.3);
    await d.queueReminders();
    expect(
      (await remindersOf(meetingId))
        .filter((r) => r.sequence === 1)
        .map((r) => r.siteId)
        .sort(),
    ).toEqual([hall, b].sort());
    t.clock.now = TEST_NOW;
  });

  it('reminds REMINDER_HOURS_BEFORE the start when the invitation went out days before', async () => {
    t.clock.now = TEST_NOW;
    const c = communes[2]!;
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: { title: 'Giao ban tháng', hostSiteId: hall, startsAt: at(72).toISOString(), endsAt: at(74).toISOString(), siteIds: [c] },
    });
    const meetingId = created.body.id as string;
    const d = dispatcher();
    await d.drain();
    t.clock.now = at(47.9);
    expect((await d.queueReminders(), await remindersOf(meetingId))).toEqual([]);
    t.clock.now = at(48);
    await d.queueReminders();
    expect((await remindersOf(meetingId)).map((r) => r.siteId).sort()).toEqual([hall, c].sort());
    t.clock.now = TEST_NOW;
  });
});
