/**
 * Trust over a real WebSocket and real mediasoup workers: the host hall's invitation link runs
 * no host command, the console opens only for the meeting's unit, and deactivating the
 * secretariat that runs a console closes it within 2 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../sfu/protocol.ts';
import { startLiveTestServer, type LiveTestServer } from '../../tests/support/live.ts';
import { closedWithin, TestSocket } from '../../tests/support/signaling-client.ts';
import { readArrival, sitesByEmail, testDispatcher, testTransport } from '../invites/delivery.test-support.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../invites/smtp-test-server.test-support.ts';

describe('trust in the live meeting', () => {
  let live: LiveTestServer;
  let smtp: TestSmtpServer;
  let meeting: { id: string; endsAt: string; participants: { siteId: string; role: string }[] };
  const sockets: TestSocket[] = [];
  const open = async (headers?: Record<string, string>) => {
    const socket = await TestSocket.open(live.url, headers);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    live = await startLiveTestServer('pglite', { provinces: ['44', '01'], mail: testTransport(smtp.url) });
    const sites = (await live.t.request('GET', '/api/units/44/sites', { cookie: live.t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    const start = new Date(Date.now() + 60_000);
    const created = await live.t.request('POST', '/api/meetings', {
      cookie: live.t.cookies.quangTriSecretariat,
      body: {
        title: 'Giao ban tỉnh Quảng Trị',
        hostSiteId: sites.find((s) => s.kind === 'hall')!.id,
        siteIds: sites
          .filter((s) => s.kind === 'commune')
          .slice(0, 2)
          .map((s) => s.id),
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 2 * 3600_000).toISOString(),
      },
    });
    expect(created.status).toBe(201);
    meeting = created.body;
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await live?.close();
    await smtp?.close();
  });

  const hostSite = () => meeting.participants.find((p) => p.role === 'host')!.siteId;
  const commune = () => meeting.participants.find((p) => p.role === 'participant')!.siteId;

  it('the host hall’s invitation link cannot run giveFloor, muteSite, kick or endMeeting', async () => {
    const communeLink = await live.joinLink(meeting.id, commune(), new Date(meeting.endsAt));
    const communeSocket = await open();
    expect((await communeSocket.request('join', { joinToken: communeLink.split('/join/')[1] })).ok).toBe(true);

    const hostLink = await live.joinLink(meeting.id, hostSite(), new Date(meeting.endsAt));
    const intruder = await open();
    const join = await intruder.request('join', { joinToken: hostLink.split('/join/')[1] });
    expect(join.ok).toBe(false);
    expect(join.error!.code).toBe('forbidden');
    for (const [type, data] of [
      ['giveFloor', { siteId: commune() }],
      ['muteSite', { siteId: commune() }],
      ['kick', { siteId: commune() }],
      ['endMeeting', {}],
    ] as const) {
      const reply = await intruder.request(type, data);
      expect(reply.ok, type).toBe(false);
    }
    // The commune was neither kicked nor sent away by an ended meeting.
    expect(await closedWithin(communeSocket, 500)).toBeNull();
    expect((await communeSocket.request('ping', {})).ok).toBe(true);
  });

  it('opens the console for the meeting’s unit only', async () => {
    const hanoi = await open({ cookie: live.t.cookies.hanoiLeader! });
    expect((await hanoi.request('join', { meetingId: meeting.id })).error!.code).toBe('forbidden');
    const otherUnit = await live.t.signInAs('secretariat', '01');
    const hanoiSecretariat = await open({ cookie: otherUnit });
    expect((await hanoiSecretariat.request('join', { meetingId: meeting.id })).error!.code).toBe('forbidden');
  });

  it('closes the console of a deactivated secretariat within 2 s and refuses its next request', async () => {
    const cookie = await live.t.signInAs('secretariat', '44', 'thuky-tam@quangtri.gov.vn');
    const consoleSocket = await open({ cookie });
    const joined = await consoleSocket.request('join', { meetingId: meeting.id });
    expect(joined.ok).toBe(true);
    expect(joined.data.role).toBe('host');
    const accountId = (await live.t.request('GET', '/api/auth/me', { cookie })).body.user.id;
    expect((await live.t.request('POST', `/api/users/${accountId}/deactivate`, { cookie: live.t.cookies.admin, body: {} })).status).toBe(200);
    const closed = await closedWithin(consoleSocket, 2000);
    expect(closed).toEqual({ code: CloseCode.kicked });
    expect((await live.t.request('GET', `/api/meetings/${meeting.id}`, { cookie })).status).toBe(401);
    const again = await open({ cookie });
    expect((await again.request('join', { meetingId: meeting.id })).error!.code).toBe('unauthorized');
  });

  it('rotating a site’s links disconnects it within 2 s, refuses the old link, and mails a new one that works; a second resend within 10 minutes needs confirming', async () => {
    const site = meeting.participants.filter((p) => p.role === 'participant')[1]!.siteId;
    const dispatcher = testDispatcher(live.t, testTransport(smtp.url));
    try {
      await dispatcher.drain();
      const oldLink = await live.joinLink(meeting.id, site, new Date(meeting.endsAt));
      const connected = await open();
      expect((await connected.request('join', { joinToken: oldLink.split('/join/')[1] })).ok).toBe(true);

      const before = smtp.received.length;
      const rotated = await live.t.request('POST', `/api/meetings/${meeting.id}/sites/${site}/rotate-links`, {
        cookie: live.t.cookies.quangTriSecretariat,
        body: {},
      });
      expect(rotated.status).toBe(200);
      expect(await closedWithin(connected, 2000)).toEqual({ code: CloseCode.kicked });
      const again = await open();
      expect((await again.request('join', { joinToken: oldLink.split('/join/')[1] })).error!.code).toBe('unauthorized');

      await dispatcher.drain();
      const siteOf = await sitesByEmail(live.t, [site]);
      const arrivals = await Promise.all(smtp.received.slice(before).map(readArrival));
      const fresh = arrivals.find((a) => siteOf.get(a.to) === site);
      expect(fresh).toBeDefined();
      const newToken = /\/join\/([A-Za-z0-9_-]{43})/.exec(fresh!.text)![1]!;
      expect(newToken).not.toBe(oldLink.split('/join/')[1]);
      const rejoined = await open();
      expect((await rejoined.request('join', { joinToken: newToken })).ok).toBe(true);

      // The rotation sent the invitation again: another resend within 10 minutes must be confirmed.
      const resend = (confirm?: boolean) =>
        live.t.request('POST', `/api/meetings/${meeting.id}/invites/resend`, {
          cookie: live.t.cookies.quangTriSecretariat,
          body: { siteIds: [site], ...(confirm ? { confirm } : {}) },
        });
      const refused = await resend();
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('resend_too_soon');
      expect((await resend(true)).status).toBe(200);
      // Another unit cannot rotate this meeting's links.
      expect(
        (await live.t.request('POST', `/api/meetings/${meeting.id}/sites/${site}/rotate-links`, { cookie: live.t.cookies.hanoiLeader, body: {} })).status,
      ).toBe(403);
    } finally {
      await dispatcher.close();
    }
  });
});
