/**
 * The call list of a meeting: the invited sites that have not answered the readiness question,
 * with the person responsible, the phone and the addresses from the directory, so the
 * secretariat can ring them the day before. Printable (the page) and as CSV for Excel.
 */
import { eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { meetings, sites } from '../../db/schema.ts';
import { meetingDeliveryStatus, type SiteDelivery } from '../invites/delivery-status.ts';
import { NotFoundError } from '../errors.ts';
import { hasRealAddress } from './addresses.ts';
import { writeCsv } from './spreadsheet.ts';

export type InvitationState = 'sent' | 'pending' | 'failed' | 'unsendable' | 'none';

export interface CallListEntry {
  siteId: string;
  siteName: string;
  unitCode: string;
  unitName: string;
  responsiblePerson: string | null;
  contactPhone: string | null;
  contactEmails: string[];
  hasRealAddress: boolean;
  invitation: InvitationState;
}

export interface CallList {
  meeting: { id: string; title: string; startsAt: Date; endsAt: Date; status: 'scheduled' | 'cancelled'; hostSiteId: string };
  /** Current participants, host included. */
  invited: number;
  sites: CallListEntry[];
}

function invitationState(site: SiteDelivery): InvitationState {
  if (site.unsendable) return 'unsendable';
  if (!site.latest) return 'none';
  switch (site.latest.status) {
    case 'sent':
      return 'sent';
    case 'failed':
      return 'failed';
    case 'queued':
    case 'sending':
    case 'superseded':
      return 'pending';
    default: {
      const unreachable: never = site.latest.status;
      return unreachable;
    }
  }
}

export async function meetingCallList(db: Executor, meetingId: string): Promise<CallList> {
  const [meeting] = await db
    .select({
      id: meetings.id,
      title: meetings.title,
      startsAt: meetings.startsAt,
      endsAt: meetings.endsAt,
      status: meetings.status,
      hostSiteId: meetings.hostSiteId,
    })
    .from(meetings)
    .where(eq(meetings.id, meetingId))
    .limit(1);
  if (!meeting) throw new NotFoundError('Meeting', meetingId);
  const status = await meetingDeliveryStatus(db, meetingId);
  // The host hall runs the meeting; it is not called to confirm.
  const silent = status.sites.filter((s) => s.role === 'participant' && !s.rsvp);
  const contacts = new Map<string, { responsiblePerson: string | null; contactPhone: string | null; contactEmails: string[] }>();
  for (let i = 0; i < silent.length; i += 5000) {
    const rows = await db
      .select({ id: sites.id, responsiblePerson: sites.responsiblePerson, contactPhone: sites.contactPhone, contactEmails: sites.contactEmails })
      .from(sites)
      .where(
        inArray(
          sites.id,
          silent.slice(i, i + 5000).map((s) => s.siteId),
        ),
      );
    for (const row of rows) contacts.set(row.id, row);
  }
  return {
    meeting,
    invited: status.summary.sites,
    sites: silent.map((s) => {
      const c = contacts.get(s.siteId) ?? { responsiblePerson: null, contactPhone: null, contactEmails: [] };
      return {
        siteId: s.siteId,
        siteName: s.siteName,
        unitCode: s.unitCode,
        unitName: s.unitName,
        ...c,
        hasRealAddress: hasRealAddress(c.contactEmails),
        invitation: invitationState(s),
      };
    }),
  };
}

export const CALL_LIST_HEADERS = ['STT', 'Điểm cầu', 'Mã đơn vị', 'Đơn vị', 'Người phụ trách', 'Điện thoại', 'Thư điện tử', 'Giấy mời'] as const;
export const invitationStateLabels: Record<InvitationState, string> = {
  sent: 'Đã gửi',
  pending: 'Đang chờ gửi',
  failed: 'Gửi lỗi',
  unsendable: 'Chưa có địa chỉ e-mail',
  none: 'Chưa gửi',
};

export function callListCsv(list: CallList, delimiter: ',' | ';' = ','): string {
  return writeCsv(
    [
      [...CALL_LIST_HEADERS],
      ...list.sites.map((s, i) => [
        String(i + 1),
        s.siteName,
        s.unitCode,
        s.unitName,
        s.responsiblePerson ?? '',
        s.contactPhone ?? '',
        s.contactEmails.join('; '),
        invitationStateLabels[s.invitation],
      ]),
    ],
    delimiter,
  );
}
