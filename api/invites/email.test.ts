import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { composeInviteEmail, composeReminderEmail, escapeHtml, type OutgoingMail } from './email.ts';
import { readWithBothParsers } from './ics-readers.test-support.ts';
import { calendarParts, HOST_HALL, inviteFor, MEETING_TITLE, parseMail, SITES } from './invite-fixtures.test-support.ts';

// The bytes SMTP would carry, built by nodemailer itself, then read back by mailparser.
async function asReceived(message: OutgoingMail) {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = await builder.sendMail(message);
  return parseMail(info.message as Buffer);
}

describe('composeInviteEmail', () => {
  it('titles each kind of message in Vietnamese', () => {
    const site = SITES[0]!;
    const subject = (input: Parameters<typeof composeInviteEmail>[0]) => composeInviteEmail(input).subject;
    expect(subject(inviteFor(site))).toBe(`Giấy mời họp trực tuyến: ${MEETING_TITLE}`);
    expect(subject(inviteFor(site, { sequence: 3 }))).toBe(`Thay đổi lịch họp: ${MEETING_TITLE}`);
    // A site added to a meeting already changed three times is still being invited.
    expect(subject({ ...inviteFor(site, { sequence: 3 }), firstForSite: true })).toBe(`Giấy mời họp trực tuyến: ${MEETING_TITLE}`);
    expect(subject(inviteFor(site, { method: 'CANCEL', sequence: 4, status: 'cancelled' }))).toBe(`Hủy cuộc họp: ${MEETING_TITLE}`);
    expect(subject(inviteFor(site, { method: 'CANCEL', sequence: 4 }))).toBe(`Thu hồi giấy mời họp: ${MEETING_TITLE}`);
  });

  it('shows time, hall, agenda and both links, and sends the site’s other contacts a copy', async () => {
    const site = SITES[0]!;
    const mail = await asReceived(composeInviteEmail(inviteFor(site)).message);
    expect(mail.subject).toBe(`Giấy mời họp trực tuyến: ${MEETING_TITLE}`);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value : []).toEqual([{ name: site.name, address: site.email }]);
    expect(mail.cc && !Array.isArray(mail.cc) ? mail.cc.value.map((a) => a.address) : []).toEqual(site.otherContacts);
    expect(mail.headers.get('x-auto-response-suppress')).toBe('OOF, AutoReply');

    for (const body of [mail.text ?? '', String(mail.html)]) {
      expect(body).toContain('08:00–11:30, thứ Năm 26/11/2026 (giờ Việt Nam)');
      expect(body).toContain(HOST_HALL);
      expect(body).toContain('Quán triệt Nghị quyết số 18-NQ/TW');
    }
    const html = String(mail.html);
    expect(html).toContain(`href="https://hoinghi.local/join/7f1c2a9e?site=${site.id}&#38;token=t-${site.id}"`);
    expect(html).toContain(`href="https://hoinghi.local/readiness/${site.id}?token=t-${site.id}"`);
    expect(html).toContain('>Tham gia cuộc họp</a>');
    expect(html).toContain('>Kiểm tra thiết bị</a>');

    const parts = calendarParts(mail);
    expect(parts.contentTypeMethod).toBe('REQUEST');
    expect(readWithBothParsers(parts.alternativeIcs).method).toBe('REQUEST');
  });

  it('carries METHOD:CANCEL in the Content-Type and the body of a cancellation, and drops the links', async () => {
    const mail = await asReceived(composeInviteEmail(inviteFor(SITES[1]!, { method: 'CANCEL', sequence: 1, status: 'cancelled' })).message);
    const parts = calendarParts(mail);
    expect(parts.contentTypeMethod).toBe('CANCEL');
    const calendar = readWithBothParsers(parts.alternativeIcs);
    expect(calendar.method).toBe('CANCEL');
    expect(calendar.events[0]?.status).toBe('CANCELLED');
    expect(mail.text).toContain('đã bị hủy');
    expect(mail.text).not.toContain('https://hoinghi.local/join');
  });

  it('escapes hostile titles, names and agendas so they cannot inject markup', async () => {
    const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp;';
    const input = inviteFor({ ...SITES[1]!, name: `Xã "</strong><a href='//evil'>` }, { title: `Họp ${hostile}`, agenda: hostile });
    const html = String((await asReceived(composeInviteEmail(input).message)).html);
    expect(html).not.toMatch(/<img|<script|<a href='\/\/evil'|onerror="/i);
    expect(html).toContain('&#60;script&#62;alert(2)&#60;/script&#62;&#38;amp;');
    expect(html).toContain('Xã &#34;&#60;/strong&#62;&#60;a href=&#39;//evil&#39;&#62;');
    // Only the tags and links the template itself writes.
    expect(html.match(/<a /g)).toHaveLength(2);
  });

  it('is stable for retries: the same invitation gets the same Message-ID and calendar', () => {
    const first = composeInviteEmail(inviteFor(SITES[0]!));
    const again = composeInviteEmail(inviteFor(SITES[0]!));
    const next = composeInviteEmail(inviteFor(SITES[0]!, { sequence: 1 }));
    expect(again.message.messageId).toBe(first.message.messageId);
    expect(again.ics).toBe(first.ics);
    expect(next.message.messageId).not.toBe(first.message.messageId);
    expect(first.message.messageId).toMatch(/^<[0-9a-f]{32}@hoinghi\.local>$/);
  });

  it('keeps the attendee out of Cc and refuses links that are not web links', () => {
    const site = { ...SITES[2]!, otherContacts: [SITES[2]!.email.toUpperCase(), 'phongvh@quangtri.gov.vn'] };
    expect(composeInviteEmail(inviteFor(site)).message.cc).toEqual(['phongvh@quangtri.gov.vn']);
    const input = inviteFor(SITES[2]!);
    expect(() => composeInviteEmail({ ...input, links: { ...input.links, join: 'javascript:alert(1)' } })).toThrow();
  });
});

describe('composeReminderEmail', () => {
  it('is a plain e-mail naming the start time and the readiness link, without a calendar part', async () => {
    const { meeting, organizer, attendee, links } = inviteFor(SITES[0]!);
    const reminder = composeReminderEmail({ meeting, organizer, attendee, links, hoursBefore: 24 });
    expect(reminder.subject).toBe(`Nhắc lịch họp: ${MEETING_TITLE} — 08:00 thứ Năm 26/11/2026`);
    const mail = await asReceived(reminder.message);
    expect(mail.subject).toBe(reminder.subject);
    expect(mail.attachments).toEqual([]);
    expect(mail.text).toContain('chưa xác nhận');
    expect(mail.text).toContain(links.readiness);
    expect(String(mail.html)).toContain('>Kiểm tra thiết bị</a>');

    const later = composeReminderEmail({ meeting, organizer, attendee, links, hoursBefore: 2 });
    expect(later.message.messageId).not.toBe(reminder.message.messageId);
  });

  it('refuses to remind about a cancelled meeting', () => {
    const { meeting, organizer, attendee, links } = inviteFor(SITES[0]!, { status: 'cancelled' });
    expect(() => composeReminderEmail({ meeting, organizer, attendee, links, hoursBefore: 2 })).toThrow();
  });
});

describe('escapeHtml', () => {
  it('escapes every character that can open markup or close an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });
});
