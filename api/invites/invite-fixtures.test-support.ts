/**
 * Test support: a realistic meeting and sites to invite, and what a received e-mail's calendar
 * parts look like after mailparser. Each test builds its own inputs from these.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import type { InviteEmailInput } from './email.ts';

export const MEETING_TITLE = 'Hội nghị trực tuyến triển khai Nghị quyết — xã Hướng Hóa, Đắk Lắk, Quảng Trị';
export const HOST_HALL = 'Hội trường UBND tỉnh Quảng Trị';
export const ORGANIZER = { name: 'Văn phòng UBND tỉnh', email: 'vanphong@hoinghi.local' };

export interface TestSite {
  id: string;
  name: string;
  email: string;
  otherContacts: string[];
}

export const SITES: TestSite[] = [
  { id: 'huong-hoa', name: 'UBND xã Hướng Hóa', email: 'ubnd.huonghoa@quangtri.gov.vn', otherContacts: ['vanthu.huonghoa@quangtri.gov.vn'] },
  { id: 'krong-bong', name: 'UBND xã Krông Bông, Đắk Lắk', email: 'ubnd.krongbong@daklak.gov.vn', otherContacts: [] },
  { id: 'dong-ha', name: 'UBND phường Đông Hà', email: 'ubnd.dongha@quangtri.gov.vn', otherContacts: [] },
];

export function inviteFor(site: TestSite, overrides: { method?: 'REQUEST' | 'CANCEL' } & Partial<InviteEmailInput['meeting']> = {}): InviteEmailInput {
  const { method = 'REQUEST', ...meeting } = overrides;
  return {
    method,
    meeting: {
      uid: '7f1c2a9e-1b7d-4c55-9a43-0d6c3e2f8b11@hoinghi.local',
      sequence: 0,
      title: MEETING_TITLE,
      agenda: 'Quán triệt Nghị quyết số 18-NQ/TW; phân công nhiệm vụ cho các xã, phường.',
      startsAt: new Date('2026-11-26T01:00:00Z'), // 08:00 thứ Năm in Vietnam
      endsAt: new Date('2026-11-26T04:30:00Z'), // 11:30
      status: 'scheduled',
      hostSiteName: HOST_HALL,
      updatedAt: new Date('2026-11-20T02:03:04Z'),
      ...meeting,
    },
    organizer: ORGANIZER,
    attendee: { siteName: site.name, email: site.email },
    links: {
      join: `https://hoinghi.local/join/7f1c2a9e?site=${site.id}&token=t-${site.id}`,
      readiness: `https://hoinghi.local/readiness/${site.id}?token=t-${site.id}`,
    },
    otherContacts: site.otherContacts,
  };
}

export interface CalendarParts {
  /** METHOD parameter of the text/calendar alternative's Content-Type. */
  contentTypeMethod: string | undefined;
  contentTypeCharset: string | undefined;
  alternativeIcs: string;
  attachmentIcs: string;
  attachmentFilename: string | undefined;
}

export async function parseMail(raw: Buffer): Promise<ParsedMail> {
  return simpleParser(raw);
}

/** The two calendar copies an invitation carries, as mailparser decodes them. */
export function calendarParts(mail: ParsedMail): CalendarParts {
  const alternative = mail.attachments.find((a) => a.contentType === 'text/calendar');
  const attachment = mail.attachments.find((a) => a.contentType === 'application/ics');
  if (!alternative || !attachment) throw new Error('invitation without both calendar parts');
  const contentType = alternative.headers.get('content-type') as { value: string; params: Record<string, string> };
  return {
    contentTypeMethod: contentType.params['method'],
    contentTypeCharset: contentType.params['charset'],
    alternativeIcs: alternative.content.toString('utf8'),
    attachmentIcs: attachment.content.toString('utf8'),
    attachmentFilename: attachment.filename,
  };
}
