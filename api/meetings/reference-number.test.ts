/**
 * The office's reference number (số hiệu văn bản): given when scheduling, changed like any
 * content (SEQUENCE rises, every site is updated), and printed in the e-mail each site receives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { readArrival, testDispatcher, testTransport, waitFor } from '../invites/delivery.test-support.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../invites/smtp-test-server.test-support.ts';

describe.each(DRIVERS)('reference number on %s', (driver) => {
  let t: TestApp;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    t = await createTestApp(driver, { provinces: ['44'] });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('is stored, shown in the invitation, and an update when it changes', async () => {
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    const hall = sites.find((s) => s.kind === 'hall')!;
    const commune = sites.find((s) => s.kind === 'commune')!;
    const startsAt = new Date(TEST_NOW.getTime() + 3 * 86_400_000);
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title: 'Hội nghị tổng kết',
        referenceNumber: '125/GM-UBND',
        hostSiteId: hall.id,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3600_000).toISOString(),
        siteIds: [commune.id],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.referenceNumber).toBe('125/GM-UBND');
    const transport = testTransport(smtp.url);
    const dispatcher = testDispatcher(t, transport);
    try {
      await dispatcher.drain();
      await waitFor(() => smtp.received.length >= 2, 'two invitations');
      const invitation = await readArrival(smtp.received[0]!);
      expect(invitation.text).toContain('Số hiệu văn bản: 125/GM-UBND');

      const changed = await t.request('PATCH', `/api/meetings/${created.body.id}`, { cookie: t.cookies.secretariat, body: { referenceNumber: '126/GM-UBND' } });
      expect(changed.body).toMatchObject({ referenceNumber: '126/GM-UBND', sequence: 1 });
      await dispatcher.drain();
      await waitFor(() => smtp.received.length >= 4, 'two updates');
      const updates = await Promise.all(smtp.received.slice(2).map(readArrival));
      expect(updates.map((u) => u.event?.sequence)).toEqual([1, 1]);
      expect(updates.every((u) => u.text.includes('Số hiệu văn bản: 126/GM-UBND'))).toBe(true);

      const page = await t.request('GET', `/meetings/${created.body.id}`, { cookie: t.cookies.secretariat });
      expect(page.body).toContain('<dd id="reference-number">126/GM-UBND</dd>');
    } finally {
      await dispatcher.close();
      await transport.close();
    }
  });
});
