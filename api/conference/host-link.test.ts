/**
 * Host powers come only with a signed-in console: the host hall's invitation carries a link to
 * the console, never a join token, and a host-site join token (an older invitation, a calendar
 * feed) admits nobody, so no e-mail can give the floor, mute, remove sites or end the meeting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { SignalingError } from '../../sfu/index.ts';
import { mintMeetingTokens } from '../invites/site-tokens.ts';
import { readArrival, testDispatcher, testTransport, sitesByEmail } from '../invites/delivery.test-support.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../invites/smtp-test-server.test-support.ts';
import { createSignalingAuthenticator } from './authenticator.ts';

describe.each(DRIVERS)('the host hall’s link on %s', (driver) => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let meetingId: string;
  let hostSiteId: string;
  let communeId: string;

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44'] });
    smtp = await startTestSmtpServer();
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.quangTriSecretariat })).body.sites as { id: string; kind: string }[];
    hostSiteId = sites.find((s) => s.kind === 'hall')!.id;
    communeId = sites.find((s) => s.kind === 'commune')!.id;
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.quangTriSecretariat,
      body: { title: 'Giao ban tỉnh', hostSiteId, siteIds: [communeId], startsAt: '2026-12-05T09:00:00+07:00', endsAt: '2026-12-05T10:00:00+07:00' },
    });
    expect(created.status).toBe(201);
    meetingId = created.body.id;
    const dispatcher = testDispatcher(t, testTransport(smtp.url));
    await dispatcher.drain();
    await dispatcher.close();
  });
  afterAll(async () => {
    await smtp?.close();
    await t?.close();
  });

  it('sends the host hall a link to the console and the commune a join link', async () => {
    const bySite = await sitesByEmail(t, [hostSiteId, communeId]);
    const arrivals = await Promise.all(smtp.received.map(readArrival));
    const host = arrivals.find((a) => bySite.get(a.to) === hostSiteId)!;
    const commune = arrivals.find((a) => bySite.get(a.to) === communeId)!;
    expect(host.text).toContain(`http://hoinghi.test/meetings/${meetingId}/console`);
    expect(host.text).not.toMatch(/\/join\//);
    expect(host.event?.url ?? '').not.toMatch(/\/join\//);
    expect(commune.text).toMatch(/http:\/\/hoinghi\.test\/join\/[A-Za-z0-9_-]{43}/);
  });

  it('admits no one with a host-site join token; its page sends the reader to the console, which asks for a sign-in', async () => {
    const { join } = await mintMeetingTokens(t.ctx.db, { meetingId, siteId: hostSiteId, expiresAt: new Date('2026-12-05T10:00:00+07:00'), purposes: ['join'] });
    const authenticator = createSignalingAuthenticator(t.ctx);
    const refusal = await authenticator.authenticate({ joinToken: join, meetingId }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SignalingError);
    expect((refusal as SignalingError).code).toBe('forbidden');

    const page = await t.app.request(`/join/${join}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/meetings/${meetingId}/console`);
    const console = await t.app.request(`/meetings/${meetingId}/console`, { headers: { accept: 'text/html' } });
    expect(console.status).toBe(303);
    expect(console.headers.get('location')).toMatch(/^\/login\?next=/);

    // The commune's own link still joins, as a participant.
    const { join: communeJoin } = await mintMeetingTokens(t.ctx.db, {
      meetingId,
      siteId: communeId,
      expiresAt: new Date('2026-12-05T10:00:00+07:00'),
      purposes: ['join'],
    });
    expect((await authenticator.authenticate({ joinToken: communeJoin, meetingId })).role).toBe('participant');
    // The console joins as host only with the sign-in of the meeting's unit.
    expect((await authenticator.authenticate({ meetingId, cookieHeader: t.cookies.quangTriSecretariat! })).role).toBe('host');
  });

  it('lets a site rehearse with its readiness token only', async () => {
    const authenticator = createSignalingAuthenticator(t.ctx);
    const tokens = await mintMeetingTokens(t.ctx.db, {
      meetingId,
      siteId: communeId,
      expiresAt: new Date('2026-12-05T10:00:00+07:00'),
      purposes: ['join', 'readiness'],
    });
    expect(await authenticator.authenticateRehearsal(tokens.readiness)).toMatchObject({ meetingId, siteId: communeId });
    // A join token is not a readiness token, and a made-up one is unknown.
    for (const token of [tokens.join, 'x'.repeat(43)]) {
      const refusal = await authenticator.authenticateRehearsal(token).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(SignalingError);
      expect((refusal as SignalingError).code).toBe('unauthorized');
    }
  });
});
