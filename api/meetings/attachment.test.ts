/**
 * The document an office sends with a meeting: a PDF of up to 10 MB, stored once, attached to
 * every site's invitation and update (received by a real SMTP server and parsed), downloadable
 * from the readiness link, and refused — with nothing written — when it is not a PDF, too large,
 * or sent by an account that may not change the meeting.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { invites, meetingAttachments } from '../../db/schema.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { linkIn, sitesByEmail, testDispatcher, testTransport, tokenOf } from '../invites/delivery.test-support.ts';
import { parseMail } from '../invites/invite-fixtures.test-support.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../invites/smtp-test-server.test-support.ts';
import { ATTACHMENT_MAX_BYTES } from './attachment.ts';

/** A small but real PDF (one empty page), with some binary bytes so no text mangling goes unseen. */
function pdf(label: string): Buffer {
  return Buffer.concat([
    Buffer.from(
      `%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n`,
      'latin1',
    ),
    Buffer.from(`3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>> endobj\n% ${label}\n`),
    Buffer.from([0, 1, 2, 253, 254, 255, 13, 10, 13]),
    Buffer.from('\ntrailer <</Root 1 0 R>>\n%%EOF\n'),
  ]);
}

const FILE_NAME = 'Giấy mời số 125-GM-UBND.pdf';

describe.each(DRIVERS)('a meeting’s attached document on %s', (driver) => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let hall: string;
  let communes: string[];
  let slot = 0;

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44', '01'] });
    smtp = await startTestSmtpServer();
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    hall = sites.find((s) => s.kind === 'hall')!.id;
    communes = sites.filter((s) => s.kind === 'commune').map((s) => s.id);
  });
  afterAll(async () => {
    await smtp?.close();
    await t?.close();
  });
  beforeEach(() => {
    smtp.received.length = 0;
  });

  async function schedule(siteIds: string[]): Promise<string> {
    const start = new Date(TEST_NOW.getTime() + (48 + 4 * slot++) * 3600_000);
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.quangTriSecretariat,
      body: {
        title: 'Giao ban có giấy mời',
        hostSiteId: hall,
        siteIds,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      },
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }
  const put = (meetingId: string, body: Buffer, cookie = t.cookies.quangTriSecretariat!, fileName = FILE_NAME) =>
    t.app.request(`/api/meetings/${meetingId}/attachment?fileName=${encodeURIComponent(fileName)}`, {
      method: 'PUT',
      body,
      headers: { cookie, 'content-type': 'application/pdf' },
    });
  async function deliver() {
    const dispatcher = testDispatcher(t, testTransport(smtp.url));
    await dispatcher.drain();
    await dispatcher.close();
    return Promise.all(smtp.received.map(async (m) => ({ rcptTo: m.rcptTo, mail: await parseMail(m.raw) })));
  }
  const pdfsIn = (mail: Awaited<ReturnType<typeof parseMail>>) => mail.attachments.filter((a) => a.contentType === 'application/pdf');
  async function stateOf(meetingId: string) {
    const meeting = (await t.request('GET', `/api/meetings/${meetingId}`, { cookie: t.cookies.secretariat })).body;
    const stored = await t.database.db
      .select({ sha256: meetingAttachments.sha256 })
      .from(meetingAttachments)
      .where(eq(meetingAttachments.meetingId, meetingId));
    const queued = await t.database.db.select({ id: invites.id }).from(invites).where(eq(invites.meetingId, meetingId));
    return { sequence: meeting.sequence as number, attachment: meeting.attachment, stored: stored.length, queued: queued.length };
  }

  it('attaches the PDF to every site’s update, serves it to the secretariat and through the readiness link', async () => {
    const meetingId = await schedule(communes.slice(0, 3));
    await deliver();
    smtp.received.length = 0;
    const letter = pdf('thư mời');

    const response = await put(meetingId, letter);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { sequence: number; attachment: { fileName: string; sizeBytes: number } };
    expect(body.sequence).toBe(1);
    expect(body.attachment).toMatchObject({ fileName: FILE_NAME, sizeBytes: letter.byteLength });

    const arrivals = await deliver();
    // The host hall and the three communes: an update each, each carrying the same bytes.
    expect(arrivals).toHaveLength(4);
    for (const { mail } of arrivals) {
      const [attached, ...more] = pdfsIn(mail);
      expect(more).toHaveLength(0);
      expect(attached!.filename).toBe(FILE_NAME);
      expect(Buffer.compare(attached!.content, letter)).toBe(0);
      expect(mail.attachments.some((a) => a.contentType === 'text/calendar')).toBe(true);
    }

    const download = await t.app.request(`/api/meetings/${meetingId}/attachment`, { headers: { cookie: t.cookies.secretariat } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent(FILE_NAME)}`);
    expect(Buffer.compare(Buffer.from(await download.arrayBuffer()), letter)).toBe(0);
    const again = await t.app.request(`/api/meetings/${meetingId}/attachment`, {
      headers: { cookie: t.cookies.secretariat, 'if-none-match': download.headers.get('etag')! },
    });
    expect(again.status).toBe(304);

    // A commune's readiness link lists the document and downloads it; a made-up link does not.
    const bySite = await sitesByEmail(t, communes.slice(0, 3));
    const commune = arrivals.find(({ rcptTo }) => bySite.has(rcptTo[0]!))!;
    const readiness = linkIn(commune.mail.text ?? '', 'ready');
    const page = await t.app.request(`/ready/${tokenOf(readiness)}`);
    expect(await page.text()).toContain(FILE_NAME);
    const viaLink = await t.app.request(`/ready/${tokenOf(readiness)}/attachment`);
    expect(viaLink.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await viaLink.arrayBuffer()), letter)).toBe(0);
    expect((await t.app.request(`/ready/${'x'.repeat(43)}/attachment`)).status).toBe(404);

    // Removing it sends an update without it.
    smtp.received.length = 0;
    expect((await t.request('DELETE', `/api/meetings/${meetingId}/attachment`, { cookie: t.cookies.quangTriSecretariat!, body: {} })).status).toBe(200);
    const afterRemoval = await deliver();
    expect(afterRemoval).toHaveLength(4);
    for (const { mail } of afterRemoval) expect(pdfsIn(mail)).toHaveLength(0);
    expect((await t.app.request(`/api/meetings/${meetingId}/attachment`, { headers: { cookie: t.cookies.secretariat } })).status).toBe(404);
    expect((await stateOf(meetingId)).sequence).toBe(2);
  });

  it('attaches it to first invitations, and never to a cancellation', async () => {
    const meetingId = await schedule(communes.slice(3, 5));
    expect((await put(meetingId, pdf('chương trình'))).status).toBe(200);
    // Nothing was sent yet: the invitations at sequence 0 are superseded by the updates at 1,
    // which read "Giấy mời" for sites that never had the meeting, with the document.
    const arrivals = await deliver();
    expect(arrivals).toHaveLength(3);
    for (const { mail } of arrivals) {
      expect(mail.subject).toMatch(/^Giấy mời/);
      expect(pdfsIn(mail)).toHaveLength(1);
    }
    smtp.received.length = 0;
    const cancelled = await t.request('POST', `/api/meetings/${meetingId}/cancel`, { cookie: t.cookies.quangTriSecretariat, body: { reason: 'Hoãn' } });
    expect(cancelled.status).toBe(200);
    const cancellations = await deliver();
    expect(cancellations).toHaveLength(3);
    for (const { mail } of cancellations) expect(pdfsIn(mail)).toHaveLength(0);
  });

  it('refuses what is not a PDF, an empty or too large file, and accounts that may not change the meeting, writing nothing', async () => {
    const meetingId = await schedule(communes.slice(5, 7));
    const before = await stateOf(meetingId);
    expect(before).toMatchObject({ sequence: 0, attachment: null, stored: 0 });

    const notPdf = await put(meetingId, Buffer.from('PK\u0003\u0004 this is a zip'));
    expect(notPdf.status).toBe(422);
    expect(((await notPdf.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe('attachment_not_pdf');
    expect((await put(meetingId, Buffer.alloc(0))).status).toBe(422);
    const tooLarge = Buffer.concat([pdf('lớn'), Buffer.alloc(ATTACHMENT_MAX_BYTES)]);
    expect((await put(meetingId, tooLarge)).status).toBe(413);
    expect((await put(meetingId, pdf('không tên'), t.cookies.quangTriSecretariat, '')).status).toBe(400);

    // A leader reads but does not change; a Hà Nội secretariat does not touch Quảng Trị's meetings.
    expect((await put(meetingId, pdf('lãnh đạo'), t.cookies.leader)).status).toBe(403);
    const hanoiSecretariat = await t.signInAs('secretariat', '01');
    expect((await put(meetingId, pdf('Hà Nội'), hanoiSecretariat)).status).toBe(403);
    expect((await t.request('DELETE', `/api/meetings/${meetingId}/attachment`, { cookie: t.cookies.quangTriSecretariat!, body: {} })).status).toBe(404);
    expect((await t.app.request('/api/meetings/00000000-0000-4000-8000-000000000000/attachment', { headers: { cookie: t.cookies.secretariat } })).status).toBe(
      404,
    );

    expect(await stateOf(meetingId)).toEqual(before);
  });
});
