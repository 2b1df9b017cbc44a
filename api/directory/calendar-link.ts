/**
 * A site's calendar subscription link, made from its directory page: minted (only its hash is
 * stored, so it is shown once), optionally after withdrawing the earlier ones, and optionally
 * sent at once to the site's real addresses through the same mail transport as invitations.
 * Every issue is audited.
 */
import { eq } from 'drizzle-orm';
import { auditLog, sites } from '../../db/schema.ts';
import type { AppContext, AuthenticatedUser } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { capitalize, term } from '../i18n/glossary.ts';
import { defineTexts, translator } from '../i18n/translator.ts';
import { parseMailbox } from '../invites/config.ts';
import type { OutgoingMail } from '../invites/email.ts';
import type { MailTransport } from '../invites/mail-transport.ts';
import { calendarFeedUrl, mintCalendarToken, revokeCalendarTokens } from '../invites/site-tokens.ts';
import { isPlaceholderAddress, isValidAddress } from './addresses.ts';

const texts = defineTexts({
  subject: { vi: 'Đường dẫn lịch họp của {site}', en: 'Meeting calendar link for {site}' },
  body: {
    vi: `Kính gửi: {site}\n\nĐây là đường dẫn để ${term.unit.vi} đăng ký lịch họp trực tuyến vào Outlook, Google Calendar hoặc điện thoại (mục "Thêm lịch từ URL" / "Đăng ký lịch"). Các ${term.meeting.vi} có ${term.site.vi} của ${term.unit.vi} sẽ tự hiện trong lịch.\n\n{url}\n\nĐường dẫn này dành riêng cho ${term.site.vi} của ${term.unit.vi}; xin không chuyển cho người khác.\n\n{organizer}`,
    en: `To: {site}\n\nThis link adds your ${term.site.en}'s online meetings to Outlook, Google Calendar or a phone ("Add calendar from URL" / "Subscribe"). Every ${term.meeting.en} your ${term.site.en} is invited to will show up.\n\n{url}\n\nThe link is for your ${term.site.en} only; please do not pass it on.\n\n{organizer}`,
  },
  heading: { vi: `Lịch họp của ${term.site.vi}`, en: `${capitalize(term.site.en)} calendar` },
});
const t = translator(texts, 'vi');

export interface IssuedCalendarLink {
  url: string;
  /** The addresses it was sent to (empty when not sent). */
  sentTo: string[];
}

export class CalendarLinks {
  /** Without a transport, links can be made and shown but not sent. */
  constructor(
    private readonly ctx: AppContext,
    private readonly transport: MailTransport | null,
  ) {}

  get canSend(): boolean {
    return this.transport !== null;
  }

  async issue(siteId: string, options: { rotate: boolean; send: boolean }, actor: AuthenticatedUser): Promise<IssuedCalendarLink> {
    const [site] = await this.ctx.db
      .select({ id: sites.id, name: sites.name, contactEmails: sites.contactEmails })
      .from(sites)
      .where(eq(sites.id, siteId))
      .limit(1);
    if (!site) throw new NotFoundError('Site', siteId);
    const recipients = site.contactEmails.filter((a) => isValidAddress(a) && !isPlaceholderAddress(a));
    if (options.send && !this.transport) throw new ValidationError('Mail is not configured on this server', { reason: 'no_transport' });
    if (options.send && recipients.length === 0) throw new ValidationError('The site has no real e-mail address to send the link to', { reason: 'no_address' });
    const token = await this.ctx.db.transaction(async (tx) => {
      if (options.rotate) await revokeCalendarTokens(tx, siteId, this.ctx.now());
      await tx.insert(auditLog).values({
        actorUserId: actor.id,
        action: 'site.calendar_link',
        entity: 'site',
        entityId: siteId,
        details: { rotate: options.rotate, sentTo: options.send ? recipients : [] },
      });
      return mintCalendarToken(tx, siteId);
    });
    const url = calendarFeedUrl(this.ctx.config.PUBLIC_URL, siteId, token);
    if (options.send && this.transport) {
      await this.transport.send(composeCalendarLinkMail(site.name, url, recipients, this.ctx.config.MAIL_FROM));
    }
    this.ctx.logger.info({ siteId, rotate: options.rotate, sent: options.send, actorUserId: actor.id }, 'calendar subscription link issued');
    return { url, sentTo: options.send ? recipients : [] };
  }
}

export function composeCalendarLinkMail(siteName: string, url: string, recipients: string[], mailFrom: string): OutgoingMail {
  const organizer = parseMailbox(mailFrom);
  const [to, ...cc] = recipients;
  const text = t('body', { site: siteName, url, organizer: organizer.name });
  const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return {
    from: { name: organizer.name, address: organizer.email },
    to: [{ name: siteName, address: to! }],
    ...(cc.length ? { cc } : {}),
    subject: t('subject', { site: siteName }),
    headers: { 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
    text: `${text}\n`,
    html: `<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>${escapeHtml(t('heading'))}</title></head><body style="font-family:Arial,Helvetica,sans-serif;font-size:15px">${escapeHtml(text).replace(/\n/g, '<br>')}</body></html>`,
  };
}
