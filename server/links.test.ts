/**
 * Links people already hold keep working whatever the code's layout: every link in a delivered
 * invitation (e-mail body and calendar), the calendar feed, and the secretariat's meeting pages
 * are requested by their paths and must answer the page, not 404. The paths are written here by
 * hand (not taken from the routers), so moving or renaming a route family fails this test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDispatcher } from '../api/invites/delivery.test-support.ts';
import { createMailFolderTransport, listMailFolder, readMailFolderMessage } from '../api/invites/mail-folder.ts';
import { calendarFeedUrl, mintCalendarToken } from '../api/invites/site-tokens.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../tests/support/app.ts';

const PUBLIC_URL = 'http://hoinghi.test';
const hours = (n: number) => new Date(TEST_NOW.getTime() + n * 3600_000).toISOString();

describe('links already sent out', () => {
  let t: TestApp;
  let mailDir: string;
  let meetingId: string;
  let communeId: string;

  beforeAll(async () => {
    mailDir = await mkdtemp(path.join(os.tmpdir(), 'hoinghi-links-'));
    t = await createTestApp('pglite', { provinces: ['44'], config: { MAIL_FOLDER_DIR: mailDir, PUBLIC_URL } });
    const halls = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string; unitCode: string }[];
    const hall = halls.find((h) => h.unitCode === '44')!.id;
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    communeId = sites.find((s) => s.kind === 'commune')!.id;
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: { title: 'Giao ban tuần', hostSiteId: hall, startsAt: hours(24), endsAt: hours(26), siteIds: [communeId] },
    });
    expect(created.status).toBe(201);
    meetingId = created.body.id;
    await testDispatcher(t, createMailFolderTransport({ dir: mailDir }), { concurrency: 1 }).drain();
  });
  afterAll(async () => {
    await t.close();
    await rm(mailDir, { recursive: true, force: true });
  });

  it('every link in every delivered invitation still opens its page', async () => {
    const entries = await listMailFolder(mailDir);
    expect(entries.length).toBe(2);
    const links = new Set<string>();
    for (const entry of entries) {
      const message = await readMailFolderMessage(mailDir, entry.id);
      // Quoted-printable soft breaks would cut a link in two; read the body unwrapped.
      const text = `${message.raw.toString('utf8').replace(/=\r?\n/g, '')}\n${(message.ics ?? '').replace(/\r?\n[ \t]/g, '')}`;
      for (const match of text.matchAll(/http:\/\/hoinghi\.test(\/[A-Za-z0-9_\-./?=&%]*)/g)) links.add(match[1]!.replace(/=3D/g, '='));
    }
    const families = new Set([...links].map((link) => link.split('/')[1]));
    // The host hall's invitation links to its console (sign-in required), never to /join.
    expect([...families].sort()).toEqual(['join', 'meetings', 'ready']);
    for (const link of links) {
      const response = await t.request('GET', link, link.startsWith('/meetings/') ? { cookie: t.cookies.secretariat } : {});
      expect(response.status, link).toBe(200);
      expect(String(response.headers.get('content-type')), link).toMatch(/text\/html/);
    }
  });

  it('the calendar feed, the meeting page, its console, invitations and attendance answer at their old paths', async () => {
    const token = await mintCalendarToken(t.database.db, communeId);
    const feed = new URL(calendarFeedUrl(PUBLIC_URL, communeId, token));
    expect(feed.pathname).toBe(`/calendar/sites/${communeId}.ics`);
    const calendar = await t.request('GET', `/calendar/sites/${communeId}.ics?token=${token}`);
    expect(calendar.status).toBe(200);
    expect(String(calendar.headers.get('content-type'))).toMatch(/text\/calendar/);

    for (const page of ['', '/console', '/invites', '/attendance', '/live']) {
      const response = await t.request('GET', `/meetings/${meetingId}${page}`, { cookie: t.cookies.secretariat });
      expect(response.status, page).toBe(200);
    }
  });
});
