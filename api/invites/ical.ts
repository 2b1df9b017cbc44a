/**
 * iCalendar rendering of invitations: one calendar per (meeting, site) for iTIP e-mail (RFC 5546
 * REQUEST / CANCEL), and one PUBLISH feed per site for calendar subscriptions. Pure: the same input
 * always gives byte-identical output, so an outbox can re-render a row on retry.
 *
 * Decisions that affect what calendar clients do:
 * - DTSTART/DTEND carry TZID=Asia/Ho_Chi_Minh plus its VTIMEZONE (one STANDARD block, +07:00, no
 *   DST). Outlook, Gmail, Apple Calendar and Thunderbird all resolve it from the VTIMEZONE, and a
 *   secretariat reading the raw file sees the wall-clock time they typed. UTC would be equally
 *   correct for the instant, but the local form also keeps the meeting in Vietnam time for the few
 *   clients that display an event in its own zone.
 * - DTSTAMP is the meeting's updatedAt (UTC), not "now": it changes with every change the
 *   SEQUENCE counts, and a retried send renders the same bytes.
 * - One ATTENDEE: the site's primary mailbox (the first of its contact e-mails). The other contacts
 *   get the same e-mail as Cc (see email.ts) but are not attendees: several attendees for one
 *   site would each be asked to RSVP and counted as separate participants in Outlook's tracking.
 * - Text is normalised to NFC: Vietnamese typed with "Unicode tổ hợp" keyboards arrives with
 *   combining marks, which some clients draw detached from their letters.
 */
import ical, {
  ICalAlarmType,
  ICalAttendeeRole,
  ICalAttendeeStatus,
  ICalCalendarMethod,
  ICalEventBusyStatus,
  ICalEventRepeatingFreq,
  ICalEventStatus,
  type ICalWeekday,
  type ICalCalendar,
} from 'ical-generator';
import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import { z } from 'zod';
import { translator } from '../i18n/translator.ts';
import { formatVietnamTimeRange, inVietnam, VIETNAM_TIME_ZONE } from '../time.ts';
import type { IcalRepeating } from '../meetings/recurrence.ts';
import { inviteTexts } from './texts.ts';

// Invitations go out in Vietnamese.
const t = translator(inviteTexts, 'vi');

const PRODUCT_ID = { company: 'hoinghi', product: 'invites', language: 'VI' } as const;

/** Subscribed clients re-fetch a site feed about this often (REFRESH-INTERVAL / X-PUBLISHED-TTL). */
const FEED_REFRESH_SECONDS = 60 * 60;

// A UID goes into the file unescaped by ical-generator, so keep it to characters that need none.
const uidSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9@._:+-]+$/, 'UID may contain only letters, digits and @ . _ : + -');

// Links end up in href attributes and in URL properties; anything but http(s) could be a script.
const webLinkSchema = z.url({ protocol: /^https?$/ }).transform((link) => new URL(link).href);

export const inviteMeetingSchema = z
  .object({
    /** meetings.uid: fixed for the meeting's life, so every update replaces the same event. */
    uid: uidSchema,
    /** meetings.sequence: raised on every change calendars must apply, cancellations included. */
    sequence: z.number().int().min(0),
    title: z.string().trim().min(1),
    agenda: z.string().nullish(),
    startsAt: z.date(),
    endsAt: z.date(),
    status: z.enum(['scheduled', 'cancelled']),
    /** The hall that hosts the meeting; the LOCATION every site sees. */
    hostSiteName: z.string().trim().min(1),
    updatedAt: z.date(),
    /** The office's reference number (số hiệu văn bản), shown in the e-mail. */
    referenceNumber: z.string().nullish(),
    /** Why it was cancelled, told in the cancellation e-mail. */
    cancelReason: z.string().nullish(),
    /**
     * A meeting series (api/meetings/series.ts): the RRULE parts, the dropped starts (EXDATE), and
     * the rule in words for the e-mail. startsAt/endsAt are then the first occurrence's.
     */
    repeating: z.custom<IcalRepeating>((v) => typeof v === 'object' && v !== null && 'freq' in v).nullish(),
    excludedStarts: z.array(z.date()).optional(),
    recurrenceText: z.string().nullish(),
    /** One occurrence of a series (uid is then the series'): its original start, RECURRENCE-ID. */
    recurrenceId: z.date().nullish(),
  })
  .refine((m) => m.endsAt.getTime() > m.startsAt.getTime(), {
    message: 'endsAt must be after startsAt',
    path: ['endsAt'],
  });
export type InviteMeeting = z.input<typeof inviteMeetingSchema>;

export const mailboxSchema = z.object({ name: z.string().trim().min(1), email: z.email() });
export type Mailbox = z.input<typeof mailboxSchema>;

export const siteLinksSchema = z.object({
  /** The site's own join link (it carries the site's token). */
  join: webLinkSchema,
  /** The device/network check page the site should open before the meeting. */
  readiness: webLinkSchema,
});
export type SiteLinks = z.input<typeof siteLinksSchema>;

export const inviteCalendarInputSchema = z
  .object({
    method: z.enum(['REQUEST', 'CANCEL']),
    meeting: inviteMeetingSchema,
    /** The secretariat mailbox; should be the From address of the e-mail too. */
    organizer: mailboxSchema,
    /** The site being invited, by its primary contact mailbox. */
    attendee: z.object({ siteName: z.string().trim().min(1), email: z.email() }),
    links: siteLinksSchema,
    /** With a series: its occurrences that were moved, each a VEVENT with RECURRENCE-ID in the same calendar. */
    overrides: z.array(inviteMeetingSchema).optional(),
  })
  .refine((input) => input.method === 'CANCEL' || input.meeting.status === 'scheduled', {
    // A site removed from a live meeting gets CANCEL; nobody gets REQUEST for a dead meeting.
    message: 'a cancelled meeting can only be sent with method CANCEL',
    path: ['method'],
  });
export type InviteCalendarInput = z.input<typeof inviteCalendarInputSchema>;
export type InviteMethod = InviteCalendarInput['method'];

/**
 * Text as it may appear in an iCalendar TEXT value: NFC, LF line breaks (ical-generator escapes
 * them as \n), no control characters (RFC 5545 forbids them) and no lone surrogates (they have no
 * UTF-8 form). U+2028/U+2029/U+0085 (pasted from Word or PDFs) become line breaks too: they are
 * line terminators to JavaScript regexes, and node-ical drops a whole property holding one.
 * Exported so tests can state what a round trip must give back.
 */
export function normalizeCalendarText(text: string): string {
  return text
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .normalize('NFC')
    .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '');
}

/**
 * A CN parameter is a quoted string that cannot hold DQUOTE or line breaks and has no escape for
 * them (ical-generator's backslash is read back literally), so substitute instead. A semicolon is
 * legal inside the quotes, but naive parsers (node-ical among them) split parameters on it first.
 */
function parameterText(text: string): string {
  return normalizeCalendarText(text)
    .replace(/[\n\t]/g, ' ')
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/;/g, ',');
}

/** The Vietnamese body of DESCRIPTION: what, when, where, and the two links. */
function describeMeeting(
  meeting: z.output<typeof inviteMeetingSchema>,
  links: z.output<typeof siteLinksSchema>,
  siteName: string | null,
  cancelled: boolean,
): string {
  const lines: string[] = [];
  if (cancelled) lines.push(t('calendarCancelled'), '');
  lines.push(`${t('onlineMeeting')}: ${meeting.title}`);
  lines.push(`${t('time')}: ${formatVietnamTimeRange(meeting.startsAt, meeting.endsAt)}`);
  lines.push(`${t('hostSite')}: ${meeting.hostSiteName}`);
  if (siteName) lines.push(`${t('yourSite')}: ${siteName}`);
  const agenda = meeting.agenda?.trim();
  if (agenda) lines.push('', `${t('agenda')}:`, agenda);
  if (!cancelled) {
    lines.push('', `${t('joinMeeting')}: ${links.join}`);
    lines.push(`${t('checkDevicesBefore')}: ${links.readiness}`);
  }
  return normalizeCalendarText(lines.join('\n'));
}

// The VTIMEZONE text of a zone, read once: the package reads a file on every call, and every
// invitation asks for Asia/Ho_Chi_Minh.
const vtimezones = new Map<string, string | null>();
function vtimezoneOf(zone: string): string | null {
  if (!vtimezones.has(zone)) vtimezones.set(zone, getVtimezoneComponent(zone) ?? null);
  return vtimezones.get(zone)!;
}

function newCalendar(method: ICalCalendarMethod): ICalCalendar {
  return ical({
    prodId: PRODUCT_ID,
    method,
    // name: null keeps the calendar itself zone-less: ical-generator writes DTSTAMP, CREATED and
    // LAST-MODIFIED in the *calendar* zone without a Z, which RFC 5545 forbids. The generator still
    // emits a VTIMEZONE for every zone an event uses.
    timezone: { name: null, generator: vtimezoneOf },
  });
}

/**
 * The calendar's text, CRLF after every content line (ical-generator ends the last one,
 * END:VCALENDAR, without, and RFC 5545 terminates every content line with CRLF).
 *
 * An invitation's calendar (no calendar-level name, URL, TTL or X- properties) is assembled here
 * from ical-generator's own VEVENT text and folded by foldContentLines: the library's fold
 * creates a TextEncoder for every character of the file, which made it most of the CPU an
 * invitation costs to render (a national meeting's 3,356 messages are rendered while they are
 * sent). The text is byte for byte the library's; ical.test.ts compares the two on arbitrary text.
 * Any other calendar (the site feeds) is the library's toString as it is.
 */
export function serialize(calendar: ICalCalendar): string {
  const plain =
    calendar.name() === null &&
    calendar.description() === null &&
    calendar.url() === null &&
    calendar.source() === null &&
    calendar.scale() === null &&
    calendar.ttl() === null &&
    calendar.color() === null &&
    calendar.timezone() === null &&
    calendar.x().length === 0;
  if (!plain) return calendar.toString() + '\r\n';
  const method = calendar.method();
  let text = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-${calendar.prodId()}\r\n` + (method ? `METHOD:${method}\r\n` : '');
  const zones = new Set(calendar.events().map((event) => event.timezone()));
  for (const zone of zones) {
    if (zone === null || zone.startsWith('/')) continue;
    const vtimezone = vtimezoneOf(zone);
    if (vtimezone) text += vtimezone.replace(/\r\n/g, '\n').replace(/\n/g, '\r\n').trim() + '\r\n';
  }
  for (const event of calendar.events()) text += event.toString();
  return foldContentLines(text + 'END:VCALENDAR') + '\r\n';
}

/** UTF-8 octets of one character as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 octets). */
function utf8Octets(char: string): number {
  const code = char.charCodeAt(0);
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (char.length === 1) return 3;
  return Buffer.byteLength(char, 'utf8');
}

/**
 * RFC 5545 §3.1 folding exactly as ical-generator does it: a line longer than 75 octets is broken
 * (CRLF and one space) before the character that would take it past 74 octets counted from the
 * line's start or the last break, never inside a UTF-8 sequence or a surrogate pair.
 */
export function foldContentLines(text: string): string {
  return text
    .split('\r\n')
    .map((line) => {
      // Short lines cannot need a break (at most 3 octets per UTF-16 unit).
      if (line.length * 3 <= 74) return line;
      let out = '';
      let from = 0;
      let octets = 0;
      for (let i = 0; i < line.length; i++) {
        const start = i;
        const code = line.charCodeAt(i);
        // ical-generator joins a high surrogate with whatever follows it.
        if (code >= 0xd800 && code <= 0xdbff && i + 1 < line.length) i++;
        const n = code < 0x80 ? 1 : utf8Octets(line.slice(start, i + 1));
        octets += n;
        if (octets > 74) {
          out += line.slice(from, start) + '\r\n ';
          from = start;
          octets = n;
        }
      }
      return out + line.slice(from);
    })
    .join('\r\n');
}

function addMeetingEvent(
  calendar: ICalCalendar,
  meeting: z.output<typeof inviteMeetingSchema>,
  links: z.output<typeof siteLinksSchema>,
  organizer: z.output<typeof mailboxSchema>,
  options: { siteName: string | null; cancelled: boolean; summaryPrefix?: string },
) {
  const title = normalizeCalendarText(meeting.title);
  const event = calendar.createEvent({
    id: meeting.uid,
    sequence: meeting.sequence,
    stamp: meeting.updatedAt,
    lastModified: meeting.updatedAt,
    // TZDate values: ical-generator reads a plain Date's *local* getters when a zone is set, which
    // would be the server's zone; a TZDate reads Vietnam's wall clock whatever TZ the process has.
    start: inVietnam(meeting.startsAt),
    end: inVietnam(meeting.endsAt),
    timezone: VIETNAM_TIME_ZONE,
    summary: (options.summaryPrefix ?? '') + title,
    description: describeMeeting(meeting, links, options.siteName, options.cancelled),
    location: normalizeCalendarText(meeting.hostSiteName),
    url: links.join,
    organizer: { name: parameterText(organizer.name), email: organizer.email },
    status: options.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    busystatus: options.cancelled ? ICalEventBusyStatus.FREE : ICalEventBusyStatus.BUSY,
  });
  if (meeting.repeating) {
    const { byDay, ...rest } = meeting.repeating;
    event.repeating({
      ...rest,
      freq: rest.freq as ICalEventRepeatingFreq,
      ...(byDay ? { byDay: byDay as ICalWeekday[] } : {}),
      ...(meeting.excludedStarts?.length ? { exclude: meeting.excludedStarts.map(inVietnam) } : {}),
    });
  }
  if (meeting.recurrenceId) event.recurrenceId(inVietnam(meeting.recurrenceId));
  return event;
}

/** The .ics text of one invitation (REQUEST) or withdrawal (CANCEL) for one site. */
export function renderInviteCalendar(rawInput: InviteCalendarInput): string {
  return serialize(inviteCalendar(rawInput));
}

/** renderInviteCalendar before serialisation (ical.test.ts holds serialize to the library's text). */
export function inviteCalendar(rawInput: InviteCalendarInput): ICalCalendar {
  const input = inviteCalendarInputSchema.parse(rawInput);
  const cancelled = input.method === 'CANCEL';
  const calendar = newCalendar(cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST);
  const siteName = parameterText(input.attendee.siteName);
  const event = addMeetingEvent(calendar, input.meeting, input.links, input.organizer, {
    siteName,
    cancelled,
  });
  // A series' moved occurrences travel with it: a calendar that gets only this message shows them right.
  for (const override of input.overrides ?? []) {
    const moved = addMeetingEvent(calendar, override, input.links, input.organizer, { siteName, cancelled });
    moved.createAttendee({ name: siteName, email: input.attendee.email, role: ICalAttendeeRole.REQ, status: ICalAttendeeStatus.NEEDSACTION, rsvp: !cancelled });
  }

  // RFC 5546 CANCEL must name the attendees it removes, so the site stays listed, without RSVP.
  event.createAttendee({
    name: siteName,
    email: input.attendee.email,
    role: ICalAttendeeRole.REQ,
    status: ICalAttendeeStatus.NEEDSACTION,
    rsvp: !cancelled,
  });

  if (!cancelled) {
    const title = normalizeCalendarText(input.meeting.title);
    event.createAlarm({
      type: ICalAlarmType.display,
      trigger: 24 * 60 * 60,
      description: t('alarmDayBefore', { title }),
    });
    event.createAlarm({
      type: ICalAlarmType.display,
      trigger: 30 * 60,
      description: t('alarmHalfHour', { title }),
    });
  }
  return calendar;
}

export const siteFeedInputSchema = z.object({
  site: z.object({ name: z.string().trim().min(1) }),
  organizer: mailboxSchema,
  meetings: z.array(z.object({ meeting: inviteMeetingSchema, links: siteLinksSchema })),
});
export type SiteFeedInput = z.input<typeof siteFeedInputSchema>;

/**
 * The subscription feed of one site (`GET /calendar/sites/:siteId.ics?token=`): METHOD:PUBLISH,
 * one VEVENT per meeting given, no attendees. Choosing which meetings (upcoming, recently
 * cancelled) is the caller's query. Cancelled meetings stay in with STATUS:CANCELLED *and* a
 * "[ĐÃ HỦY]" prefix, because Google Calendar shows subscribed events whatever their STATUS, and
 * dropping the event would silently remove it without telling anyone why.
 */
export function renderSiteFeed(rawInput: SiteFeedInput): string {
  const input = siteFeedInputSchema.parse(rawInput);
  const calendar = newCalendar(ICalCalendarMethod.PUBLISH);
  const siteName = normalizeCalendarText(input.site.name);
  calendar.name(t('feedName', { site: siteName }));
  calendar.ttl(FEED_REFRESH_SECONDS);
  // Google uses X-WR-TIMEZONE as the display zone of a subscribed calendar. Set as an X- property
  // because calendar.timezone(name) would also turn DTSTAMP into local time (see newCalendar).
  calendar.x('X-WR-TIMEZONE', VIETNAM_TIME_ZONE);

  const byStart = [...input.meetings].sort((a, b) => a.meeting.startsAt.getTime() - b.meeting.startsAt.getTime());
  for (const { meeting, links } of byStart) {
    const cancelled = meeting.status === 'cancelled';
    addMeetingEvent(calendar, meeting, links, input.organizer, {
      siteName: parameterText(input.site.name),
      cancelled,
      summaryPrefix: cancelled ? t('calendarCancelledPrefix') : '',
    });
  }
  return serialize(calendar);
}
