/**
 * Recurring meetings end to end, on both drivers: a series is created through the API, its
 * invitations are delivered to a real SMTP server, one occurrence is moved and one cancelled, and
 * every site's calendar — as a client keeps it from the messages it received — expands to the same
 * dates with ical.js and node-ical. Conflicts are reported with their dates; an account of
 * another unit may not schedule or read the series.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetings } from '../../db/schema.ts';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { readArrival, sitesByEmail, testDispatcher, testTransport, tokenOf } from '../invites/delivery.test-support.ts';
import { calendarParts, parseMail } from '../invites/invite-fixtures.test-support.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../invites/smtp-test-server.test-support.ts';
import { applyMessage, emptyCalendar, expandWithIcalJs, expandWithNodeIcal, storedIcs, type Occurrence } from './series-calendar.test-support.ts';
import { seriesBody, seriesPreviewBody } from './series.ts';

const DAY = 24 * 3600_000;
const WEEK = 7 * DAY;

describe.each(DRIVERS)('meeting series on %s', (driver) => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let hall: string;
  let communes: string[];

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    t = await createTestApp(driver, { provinces: ['44', '01'] });
    const halls = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string; unitCode: string }[];
    hall = halls.find((h) => h.unitCode === '44')!.id;
    communes = ((await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[])
      .filter((s) => s.kind === 'commune')
      .map((s) => s.id);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  // Mondays 09:00–11:00, Vietnam time, from the Monday after TEST_NOW (Tuesday 1 December 2026).
  const firstStart = new Date('2026-12-07T09:00:00+07:00');
  const at = (start: Date, hours = 2) => ({ startsAt: start.toISOString(), endsAt: new Date(start.getTime() + hours * 3600_000).toISOString() });

  it('sends each site one series, then one exception per changed occurrence, and both parsers expand it to the same 9 dates', async () => {
    const sites = communes.slice(0, 3);
    const created = await t.request('POST', '/api/meetings/series', {
      cookie: t.cookies.quangTriSecretariat,
      body: { title: 'Giao ban tuần', hostSiteId: hall, ...at(firstStart), siteIds: sites, recurrence: { frequency: 'weekly', count: 10 } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const series = seriesBody.parse(created.body);
    expect(series.description).toBe('thứ Hai hằng tuần, 10 lần');
    expect(series.meetings.map((m) => Date.parse(m.startsAt))).toEqual(Array.from({ length: 10 }, (_, i) => firstStart.getTime() + i * WEEK));

    const dispatcher = testDispatcher(t, testTransport(smtp.url));
    await dispatcher.drain();
    // One message per site for the whole series, not ten.
    expect(smtp.received).toHaveLength(4);

    // The fourth occurrence moves to the afternoon; the sixth is cancelled.
    const moved = series.meetings[3]!;
    const movedStart = new Date(Date.parse(moved.startsAt) + 5 * 3600_000);
    const patch = await t.request('PATCH', `/api/meetings/${moved.id}`, { cookie: t.cookies.quangTriSecretariat, body: at(movedStart) });
    expect(patch.status, JSON.stringify(patch.body)).toBe(200);
    const cancel = await t.request('POST', `/api/meetings/${series.meetings[5]!.id}/cancel`, {
      cookie: t.cookies.quangTriSecretariat,
      body: { reason: 'Nghỉ' },
    });
    expect(cancel.status).toBe(200);
    await dispatcher.drain();
    expect(smtp.received).toHaveLength(12);

    const expected: Occurrence[] = series.meetings
      .map((m, i) =>
        i === 3 ? { start: movedStart, end: new Date(movedStart.getTime() + 2 * 3600_000) } : { start: new Date(m.startsAt), end: new Date(m.endsAt) },
      )
      .filter((_, i) => i !== 5);
    expect(expected).toHaveLength(9);

    const byEmail = await sitesByEmail(t, [hall, ...sites]);
    const calendars = new Map<string, ReturnType<typeof emptyCalendar>>();
    for (const mail of smtp.received) {
      const parsed = await parseMail(mail.raw);
      const siteId = byEmail.get(mail.rcptTo[0]!)!;
      expect(siteId).toBeDefined();
      const calendar = calendars.get(siteId) ?? emptyCalendar();
      applyMessage(calendar, calendarParts(parsed).alternativeIcs);
      calendars.set(siteId, calendar);
    }
    expect([...calendars.keys()].sort()).toEqual([hall, ...sites].sort());
    const times = (list: Occurrence[]) => list.map((o) => [o.start.toISOString(), o.end.toISOString()]);
    for (const [siteId, calendar] of calendars) {
      const ics = storedIcs(calendar);
      expect(times(expandWithIcalJs(ics)), `ical.js, site ${siteId}`).toEqual(times(expected));
      expect(times(expandWithNodeIcal(ics)), `node-ical, site ${siteId}`).toEqual(times(expected));
    }

    // The series' e-mail: one RRULE with its VTIMEZONE; a commune's join link opens the coming occurrence.
    const first = await readArrivalOf(smtp.received.find((m) => byEmail.get(m.rcptTo[0]!) === sites[0])!.raw);
    expect(first.ics).toMatch(/RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO/);
    expect(first.ics).toContain('BEGIN:VTIMEZONE');
    const joinLink = /http:\/\/hoinghi\.test\/join\/[A-Za-z0-9_-]+/.exec(first.text)![0];
    const join = await t.request('GET', new URL(joinLink).pathname);
    expect(join.status).toBe(200);
    expect(join.body).toContain('Giao ban tuần');
    expect(tokenOf(joinLink)).toHaveLength(43);
    // The host hall's link is the series' console, which opens the coming occurrence's console.
    const hostMail = await readArrivalOf(smtp.received.find((m) => byEmail.get(m.rcptTo[0]!) === hall)!.raw);
    const consoleLink = /http:\/\/hoinghi\.test\/meetings\/series\/[0-9a-f-]+\/console/.exec(hostMail.text)![0];
    const console = await t.request('GET', new URL(consoleLink).pathname, { cookie: t.cookies.quangTriSecretariat });
    expect(console.status).toBe(303);
    expect(console.headers.get('location')).toBe(`/meetings/${series.meetings[0]!.id}/console`);
    const page = await t.request('GET', console.headers.get('location')!, { cookie: t.cookies.quangTriSecretariat });
    expect(page.status).toBe(200);
  });

  it('refuses a series whose third occurrence clashes, naming that date, and writes nothing', async () => {
    const sites = communes.slice(10, 12);
    const start = new Date('2027-03-01T14:00:00+07:00');
    const third = new Date(start.getTime() + 2 * WEEK);
    const blocker = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.quangTriSecretariat,
      body: { title: 'Họp đột xuất', hostSiteId: hall, ...at(new Date(third.getTime() + 3600_000)), siteIds: [sites[1]!] },
    });
    expect(blocker.status).toBe(201);
    const before = (await t.database.db.select({ id: meetings.id }).from(meetings)).length;
    const refused = await t.request('POST', '/api/meetings/series', {
      cookie: t.cookies.quangTriSecretariat,
      body: { title: 'Giao ban chiều', hostSiteId: hall, ...at(start), siteIds: sites, recurrence: { frequency: 'weekly', count: 5 } },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('schedule_conflict');
    expect(refused.body.error.details.dates).toEqual(['2027-03-15']);
    expect(refused.body.error.details.occurrences[0].conflicts[0].meetingId).toBe(blocker.body.id);
    expect(refused.body.error.message).toContain('2027-03-15');
    expect((await t.database.db.select({ id: meetings.id }).from(meetings)).length).toBe(before);

    // Dropping that date lets it through.
    const accepted = await t.request('POST', '/api/meetings/series', {
      cookie: t.cookies.quangTriSecretariat,
      body: {
        title: 'Giao ban chiều',
        hostSiteId: hall,
        ...at(start),
        siteIds: sites,
        recurrence: { frequency: 'weekly', count: 5 },
        excludeDates: ['2027-03-15'],
      },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    expect(accepted.body.meetings).toHaveLength(4);
  });

  it('previews the dates with Vietnamese public holidays marked', async () => {
    // Fridays from 18 December 2026: 1 January is Tết Dương lịch.
    const preview = await t.request('POST', '/api/meetings/series/preview', {
      cookie: t.cookies.quangTriSecretariat,
      body: { ...at(new Date('2026-12-18T08:00:00+07:00')), recurrence: { frequency: 'weekly', until: '2027-01-15' }, excludeDates: ['2027-01-01'] },
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    const body = seriesPreviewBody.parse(preview.body);
    expect(body.description).toBe('thứ Sáu hằng tuần, đến hết ngày 15/01/2027');
    expect(body.occurrences.map((o) => [o.date, o.holiday, o.excluded])).toEqual([
      ['2026-12-18', null, false],
      ['2026-12-25', null, false],
      ['2027-01-01', 'Tết Dương lịch', true],
      ['2027-01-08', null, false],
      ['2027-01-15', null, false],
    ]);
    // Tết Nguyên Đán 2027 falls on Saturday 6 February: its first three days are marked.
    const tet = await t.request('POST', '/api/meetings/series/preview', {
      cookie: t.cookies.quangTriSecretariat,
      body: { ...at(new Date('2027-01-09T08:00:00+07:00')), recurrence: { frequency: 'monthly-date', count: 3 } },
    });
    expect(tet.body.description).toBe('ngày 9 hằng tháng, 3 lần');
    const monthly = await t.request('POST', '/api/meetings/series/preview', {
      cookie: t.cookies.quangTriSecretariat,
      body: { ...at(new Date('2027-01-04T08:00:00+07:00')), recurrence: { frequency: 'monthly-weekday', count: 3 } },
    });
    expect(monthly.body.description).toBe('thứ Hai đầu tiên của mỗi tháng, 3 lần');
    expect(monthly.body.occurrences.map((o: { date: string }) => o.date)).toEqual(['2027-01-04', '2027-02-01', '2027-03-01']);
  });

  it('refuses an account outside the unit (403) and a leader (403), and writes nothing', async () => {
    const body = {
      title: 'Giao ban',
      hostSiteId: hall,
      ...at(new Date('2027-04-05T09:00:00+07:00')),
      siteIds: communes.slice(20, 22),
      recurrence: { frequency: 'biweekly', count: 3 },
    };
    const hanoiSecretariat = await t.signInAs('secretariat', '01');
    const before = (await t.database.db.select({ id: meetings.id }).from(meetings)).length;
    expect((await t.request('POST', '/api/meetings/series', { cookie: hanoiSecretariat, body })).status).toBe(403);
    expect((await t.request('POST', '/api/meetings/series', { cookie: t.cookies.hanoiLeader!, body })).status).toBe(403);
    expect((await t.request('POST', '/api/meetings/series', { body })).status).toBe(401);
    expect((await t.database.db.select({ id: meetings.id }).from(meetings)).length).toBe(before);

    const created = await t.request('POST', '/api/meetings/series', { cookie: t.cookies.quangTriSecretariat, body });
    expect(created.status).toBe(201);
    expect(created.body.description).toBe('thứ Hai, hai tuần một lần, 3 lần');
    expect((await t.request('GET', `/api/meetings/series/${created.body.id}`, { cookie: hanoiSecretariat })).status).toBe(403);
    expect((await t.request('GET', `/api/meetings/series/${created.body.id}`, { cookie: t.cookies.quangTriSecretariat })).status).toBe(200);
    const split = await t.request('POST', `/api/meetings/series/${created.body.id}/split`, {
      cookie: hanoiSecretariat,
      body: { fromMeetingId: created.body.meetings[1].id, title: 'Khác' },
    });
    expect(split.status).toBe(403);
  });

  it("rotating a site's links in one occurrence revokes its series links and sends it the series again with new ones", async () => {
    const sites = communes.slice(40, 42);
    const created = await t.request('POST', '/api/meetings/series', {
      cookie: t.cookies.quangTriSecretariat,
      body: {
        title: 'Giao ban quý',
        hostSiteId: hall,
        ...at(new Date('2027-07-05T14:00:00+07:00')),
        siteIds: sites,
        recurrence: { frequency: 'monthly-weekday', count: 3 },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const series = seriesBody.parse(created.body);
    const dispatcher = testDispatcher(t, testTransport(smtp.url));
    await dispatcher.drain();
    const byEmail = await sitesByEmail(t, sites);
    const joinLinkOf = async (mail: { raw: Buffer }) => /http:\/\/hoinghi\.test\/join\/[A-Za-z0-9_-]+/.exec((await readArrivalOf(mail.raw)).text)![0];
    const mailsOf = () => smtp.received.filter((m) => byEmail.get(m.rcptTo[0]!) === sites[0]);
    const before = mailsOf();
    const oldLink = await joinLinkOf(before.at(-1)!);
    expect((await t.request('GET', new URL(oldLink).pathname)).status).toBe(200);

    const rotated = await t.request('POST', `/api/meetings/${series.meetings[1]!.id}/sites/${sites[0]}/rotate-links`, {
      cookie: t.cookies.quangTriSecretariat,
      body: {},
    });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    await dispatcher.drain();
    const after = mailsOf();
    expect(after).toHaveLength(before.length + 1);
    const again = await readArrivalOf(after.at(-1)!.raw);
    expect(again.ics).toContain(`UID:${series.uid}`);
    expect(again.ics).toMatch(/RRULE:FREQ=MONTHLY;COUNT=3;BYDAY=MO;BYSETPOS=1/);
    const newLink = await joinLinkOf(after.at(-1)!);
    expect(newLink).not.toBe(oldLink);
    expect((await t.request('GET', new URL(oldLink).pathname)).status).toBe(410);
    expect((await t.request('GET', new URL(newLink).pathname)).status).toBe(200);
  });

  it('splits "this and following": the old series ends with UNTIL, the rest is a new series with a new UID', async () => {
    const sites = communes.slice(30, 32);
    const start = new Date('2027-06-07T09:00:00+07:00');
    const created = await t.request('POST', '/api/meetings/series', {
      cookie: t.cookies.quangTriSecretariat,
      body: { title: 'Giao ban tháng', hostSiteId: hall, ...at(start), siteIds: sites, recurrence: { frequency: 'weekly', count: 6 } },
    });
    expect(created.status).toBe(201);
    const series = seriesBody.parse(created.body);
    const dispatcher = testDispatcher(t, testTransport(smtp.url));
    await dispatcher.drain();
    const already = smtp.received.length;
    const from = series.meetings[3]!;
    const split = await t.request('POST', `/api/meetings/series/${series.id}/split`, {
      cookie: t.cookies.quangTriSecretariat,
      body: { fromMeetingId: from.id, ...at(new Date(Date.parse(from.startsAt) + 3600_000)), title: 'Giao ban tháng (giờ mới)' },
    });
    expect(split.status, JSON.stringify(split.body)).toBe(200);
    const next = seriesBody.parse(split.body);
    expect(next.uid).not.toBe(series.uid);
    expect(next.meetings.map((m) => m.id)).toEqual(series.meetings.slice(3).map((m) => m.id));
    await dispatcher.drain();
    const arrivals = smtp.received.slice(already);
    // Every site: the old series' update (UNTIL) and the new series' invitation.
    expect(arrivals).toHaveLength(2 * 3);
    const byEmail = await sitesByEmail(t, [hall, ...sites]);
    const calendars = new Map<string, { old: ReturnType<typeof emptyCalendar>; fresh: ReturnType<typeof emptyCalendar> }>();
    for (const mail of [...smtp.received.slice(already - 3), ...arrivals]) {
      const ics = calendarParts(await parseMail(mail.raw)).alternativeIcs;
      const siteId = byEmail.get(mail.rcptTo[0]!)!;
      const entry = calendars.get(siteId) ?? { old: emptyCalendar(), fresh: emptyCalendar() };
      applyMessage(ics.includes(series.uid) ? entry.old : entry.fresh, ics);
      calendars.set(siteId, entry);
    }
    const [site] = sites;
    const { old, fresh } = calendars.get(site!)!;
    const starts = (list: Occurrence[]) => list.map((o) => o.start.getTime());
    const oldExpected = series.meetings.slice(0, 3).map((m) => Date.parse(m.startsAt));
    const newExpected = series.meetings.slice(3).map((m) => Date.parse(m.startsAt) + 3600_000);
    expect(starts(expandWithIcalJs(storedIcs(old)))).toEqual(oldExpected);
    expect(starts(expandWithNodeIcal(storedIcs(old)))).toEqual(oldExpected);
    expect(starts(expandWithIcalJs(storedIcs(fresh)))).toEqual(newExpected);
    expect(starts(expandWithNodeIcal(storedIcs(fresh)))).toEqual(newExpected);
    const [moved] = await t.database.db.select().from(meetings).where(eq(meetings.id, from.id));
    expect(moved!.title).toBe('Giao ban tháng (giờ mới)');
  });
});

async function readArrivalOf(raw: Buffer): Promise<{ ics: string; text: string }> {
  const parsed = await parseMail(raw);
  const arrival = await readArrival({ raw, mailFrom: '', rcptTo: [] }).catch(() => null);
  return { ics: calendarParts(parsed).alternativeIcs.replace(/\r\n[ \t]/g, ''), text: arrival?.text ?? parsed.text ?? '' };
}
