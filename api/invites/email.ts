/**
 * The e-mails that carry invitations to sites: what they say (Vietnamese subject, text and HTML
 * bodies) and how the calendar rides along. Pure: returns nodemailer message options; sending is
 * mail-transport.ts's job.
 *
 * Invitation layout (what Outlook, Gmail, Apple Mail and Thunderbird all recognise as an iTIP
 * message, via nodemailer's icalEvent):
 *   multipart/mixed
 *     multipart/alternative: text/plain, text/html, text/calendar; method=REQUEST|CANCEL
 *     application/ics attachment "invite.ics" (for clients and gateways that drop the alternative)
 *
 * Recipients: To is the site's primary mailbox, the ATTENDEE of the calendar; the site's other
 * contact mailboxes are Cc, so they see the invitation without becoming separate attendees.
 * From is the organizer, because Outlook and Gmail flag an invitation whose From differs from its
 * ORGANIZER.
 */
import { createHash } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import { z } from 'zod';
import {
  inviteCalendarInputSchema,
  inviteMeetingSchema,
  mailboxSchema,
  renderInviteCalendar,
  siteLinksSchema,
  type InviteCalendarInput,
  type InviteMethod,
} from './ical.ts';
import { translator } from '../i18n/translator.ts';
import { formatVietnamDay, formatVietnamTime, formatVietnamTimeRange } from '../time.ts';
import { inviteTexts } from './texts.ts';

// Invitations go out in Vietnamese.
const t = translator(inviteTexts, 'vi');

/** A message ready for MailTransport.send. */
export type OutgoingMail = SendMailOptions;

export type InviteEmailKind = 'invitation' | 'update' | 'cancellation' | 'withdrawal';

export interface ComposedInviteEmail {
  kind: InviteEmailKind;
  method: InviteMethod;
  subject: string;
  /** The calendar as attached; the outbox keeps it for download. */
  ics: string;
  message: OutgoingMail;
}

export type InviteEmailInput = InviteCalendarInput & {
  /** The site's other contact mailboxes (sites.contact_emails minus the attendee). */
  otherContacts?: string[];
  /**
   * Whether this site has never been sent this meeting before. A site added after scheduling
   * receives SEQUENCE n > 0 (calendars need the current one) but should read "Giấy mời", not
   * "Thay đổi lịch họp". Defaults to SEQUENCE = 0.
   */
  firstForSite?: boolean;
  /** The meeting's document (a PDF), attached to invitations and updates, never to cancellations. */
  attachment?: { fileName: string; content: Uint8Array } | null;
};

const otherContactsSchema = z.array(z.email()).default([]);

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Subjects are one line; a title with a line break would otherwise be cut by some clients.
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

function inviteKind(method: InviteMethod, status: 'scheduled' | 'cancelled', firstForSite: boolean): InviteEmailKind {
  if (method === 'CANCEL') return status === 'cancelled' ? 'cancellation' : 'withdrawal';
  return firstForSite ? 'invitation' : 'update';
}

const SUBJECT: Record<InviteEmailKind, (title: string) => string> = {
  invitation: (title) => t('subjectInvitation', { title }),
  update: (title) => t('subjectUpdate', { title }),
  cancellation: (title) => t('subjectCancellation', { title }),
  withdrawal: (title) => t('subjectWithdrawal', { title }),
};

const LEAD_SENTENCE: Record<InviteEmailKind, (site: string) => string> = {
  invitation: () => t('leadInvitation'),
  update: () => t('leadUpdate'),
  cancellation: () => t('leadCancellation'),
  withdrawal: (site) => t('leadWithdrawal', { site }),
};

/**
 * A Message-ID derived from what the message is, so a retry after an ambiguous failure (timeout
 * after the server took the data) carries the same id and receiving systems can drop the duplicate.
 */
function stableMessageId(parts: Array<string | number>, organizerEmail: string): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
  const domain = organizerEmail.split('@')[1] ?? 'hoinghi.local';
  return `<${digest}@${domain}>`;
}

interface MeetingFacts {
  referenceNumber: string | null;
  title: string;
  time: string;
  hostSiteName: string;
  agenda: string | null;
}

function meetingFacts(meeting: z.output<typeof inviteMeetingSchema>): MeetingFacts {
  const agenda = meeting.agenda?.trim();
  return {
    referenceNumber: meeting.referenceNumber?.trim() || null,
    title: meeting.title,
    time: meeting.recurrenceText
      ? t('seriesTime', { rule: meeting.recurrenceText, first: formatVietnamTimeRange(meeting.startsAt, meeting.endsAt) })
      : formatVietnamTimeRange(meeting.startsAt, meeting.endsAt),
    hostSiteName: meeting.hostSiteName,
    agenda: agenda ? agenda : null,
  };
}

interface BodyParts {
  siteName: string;
  lead: string;
  /** A cancelled meeting's reason, when the secretariat gave one. */
  reason: string | null;
  facts: MeetingFacts;
  /** Omitted for cancellations: a dead link only invites confusion. */
  links: z.output<typeof siteLinksSchema> | null;
  closing: string;
  organizerName: string;
}

function textBody(parts: BodyParts): string {
  const lines = [`${t('dear')}: ${parts.siteName}`, '', parts.lead];
  if (parts.reason) lines.push(`${t('cancelReason')}: ${parts.reason}`);
  lines.push('');
  if (parts.facts.referenceNumber) lines.push(`${t('referenceNumber')}: ${parts.facts.referenceNumber}`);
  lines.push(`${t('meeting')}: ${parts.facts.title}`);
  lines.push(`${t('time')}: ${parts.facts.time}`, `${t('hostSite')}: ${parts.facts.hostSiteName}`);
  if (parts.facts.agenda) lines.push('', `${t('agenda')}:`, parts.facts.agenda);
  if (parts.links) {
    lines.push('', `${t('joinMeeting')}: ${parts.links.join}`);
    lines.push(`${t('checkDevicesBefore')}: ${parts.links.readiness}`);
  }
  lines.push('', parts.closing, '', parts.organizerName);
  return lines.join('\n') + '\n';
}

function htmlButton(href: string, label: string, colour: string): string {
  return (
    `<a href="${escapeHtml(href)}" style="display:inline-block;padding:10px 18px;margin:4px 8px 4px 0;` +
    `background:${colour};color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold">` +
    `${escapeHtml(label)}</a>`
  );
}

// Plain and table-free: it must read well in Outlook's Word renderer and in webmail alike.
function htmlBody(parts: BodyParts): string {
  const multiline = (text: string) => escapeHtml(text).replace(/\r?\n/g, '<br>');
  const row = (label: string, value: string) => `<p style="margin:4px 0"><strong>${escapeHtml(label)}:</strong> ${multiline(value)}</p>`;
  const agenda = parts.facts.agenda
    ? `<p style="margin:12px 0 4px"><strong>${escapeHtml(t('agenda'))}:</strong></p><p style="margin:4px 0">${multiline(parts.facts.agenda)}</p>`
    : '';
  const buttons = parts.links
    ? `<p style="margin:16px 0">${htmlButton(parts.links.join, t('joinMeeting'), '#b71c1c')}` +
      `${htmlButton(parts.links.readiness, t('checkDevices'), '#455a64')}</p>` +
      `<p style="margin:4px 0;font-size:13px;color:#555">${escapeHtml(t('copyLink'))} ` +
      `${escapeHtml(parts.links.join)}</p>`
    : '';
  return [
    '<!DOCTYPE html>',
    '<html lang="vi"><head><meta charset="utf-8"><title>' + escapeHtml(parts.facts.title) + '</title></head>',
    '<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#222;line-height:1.5">',
    `<p>${escapeHtml(t('dear'))}: <strong>${escapeHtml(parts.siteName)}</strong></p>`,
    `<p>${escapeHtml(parts.lead)}</p>`,
    parts.reason ? row(t('cancelReason'), parts.reason) : '',
    parts.facts.referenceNumber ? row(t('referenceNumber'), parts.facts.referenceNumber) : '',
    `<h2 style="font-size:18px;margin:16px 0 8px">${multiline(parts.facts.title)}</h2>`,
    row(t('time'), parts.facts.time),
    row(t('hostSite'), parts.facts.hostSiteName),
    agenda,
    buttons,
    `<p>${escapeHtml(parts.closing)}</p>`,
    `<p>${escapeHtml(parts.organizerName)}</p>`,
    '</body></html>',
  ].join('\n');
}

/** Headers every invite e-mail carries. */
const COMMON_HEADERS = {
  // Thousands of commune mailboxes: out-of-office replies to the secretariat help nobody.
  'X-Auto-Response-Suppress': 'OOF, AutoReply',
};

/**
 * The document's bytes as a Buffer without copying them: a national meeting's 10 MB document
 * would otherwise be copied once per site (render.ts keeps one copy per batch, in shared memory).
 */
const bytesView = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The invitation, update, cancellation or withdrawal e-mail for one site. */
export function composeInviteEmail(input: InviteEmailInput): ComposedInviteEmail {
  const calendarInput = inviteCalendarInputSchema.parse(input);
  const otherContacts = otherContactsSchema.parse(input.otherContacts).filter((email) => email.toLowerCase() !== calendarInput.attendee.email.toLowerCase());
  const { method, meeting, organizer, attendee, links } = calendarInput;
  const ics = renderInviteCalendar(input);
  const kind = inviteKind(method, meeting.status, input.firstForSite ?? meeting.sequence === 0);
  const subject = SUBJECT[kind](oneLine(meeting.title));
  const cancelled = method === 'CANCEL';
  const parts: BodyParts = {
    siteName: attendee.siteName,
    lead: LEAD_SENTENCE[kind](attendee.siteName),
    reason: kind === 'cancellation' && meeting.cancelReason?.trim() ? meeting.cancelReason.trim() : null,
    facts: meetingFacts(meeting),
    links: cancelled ? null : links,
    closing: cancelled ? t('closingCancelled') : t('closingInvitation'),
    organizerName: organizer.name,
  };

  return {
    kind,
    method,
    subject,
    ics,
    message: {
      from: { name: organizer.name, address: organizer.email },
      to: [{ name: attendee.siteName, address: attendee.email }],
      ...(otherContacts.length > 0 ? { cc: otherContacts } : {}),
      subject,
      // One occurrence of a series shares the series' UID: its RECURRENCE-ID tells the messages apart.
      messageId: stableMessageId(
        ['invite', meeting.uid, meeting.sequence, method, attendee.email.toLowerCase(), ...(meeting.recurrenceId ? [meeting.recurrenceId.toISOString()] : [])],
        organizer.email,
      ),
      headers: { ...COMMON_HEADERS },
      text: textBody(parts),
      html: htmlBody(parts),
      // base64 keeps the calendar's CRLFs and folded lines byte-exact through relays that rewrap text.
      icalEvent: { method, filename: 'invite.ics', content: ics, contentTransferEncoding: 'base64' },
      ...(input.attachment && !cancelled
        ? { attachments: [{ filename: input.attachment.fileName, content: bytesView(input.attachment.content), contentType: 'application/pdf' }] }
        : {}),
    },
  };
}

export const reminderEmailInputSchema = z.object({
  meeting: inviteMeetingSchema.refine((m) => m.status === 'scheduled', 'no reminders for a cancelled meeting'),
  organizer: mailboxSchema,
  attendee: z.object({ siteName: z.string().trim().min(1), email: z.email() }),
  links: siteLinksSchema,
  otherContacts: otherContactsSchema,
  /** Which reminder of the meeting this is (e.g. 24 or 2); keeps their Message-IDs apart. */
  hoursBefore: z.number().int().positive(),
});
export type ReminderEmailInput = z.input<typeof reminderEmailInputSchema>;

export interface ComposedReminderEmail {
  subject: string;
  message: OutgoingMail;
}

/**
 * The reminder to a site that has not confirmed its readiness, some hours before the start.
 *
 * A plain e-mail, deliberately without a calendar part: re-sending the REQUEST with the same
 * SEQUENCE makes Gmail announce an "updated invitation" and lets Outlook reset the answer the
 * site already gave; a reminder changes nothing on the calendar. It names the start time rather
 * than "in N hours", which would be wrong if the outbox delivers it late.
 */
export function composeReminderEmail(rawInput: ReminderEmailInput): ComposedReminderEmail {
  const { meeting, organizer, attendee, links, otherContacts, hoursBefore } = reminderEmailInputSchema.parse(rawInput);
  const subject = t('subjectReminder', {
    title: oneLine(meeting.title),
    time: formatVietnamTime(meeting.startsAt),
    day: formatVietnamDay(meeting.startsAt),
  });
  const parts: BodyParts = {
    siteName: attendee.siteName,
    lead: t('leadReminder', { site: attendee.siteName }),
    reason: null,
    facts: meetingFacts(meeting),
    links,
    closing: t('closingReminder'),
    organizerName: organizer.name,
  };
  const cc = otherContacts.filter((email) => email.toLowerCase() !== attendee.email.toLowerCase());
  return {
    subject,
    message: {
      from: { name: organizer.name, address: organizer.email },
      to: [{ name: attendee.siteName, address: attendee.email }],
      ...(cc.length > 0 ? { cc } : {}),
      subject,
      messageId: stableMessageId(['reminder', meeting.uid, meeting.sequence, hoursBefore, attendee.email.toLowerCase()], organizer.email),
      headers: { ...COMMON_HEADERS },
      text: textBody(parts),
      html: htmlBody(parts),
    },
  };
}
