/**
 * Test support: read an .ics the way two independent clients do (ical.js — Thunderbird's parser
 * family — and node-ical) into one comparable shape, and check the raw content lines. Tests assert
 * on both readings so a quirk of one parser cannot hide a defect in what we emit.
 */
import ICAL from 'ical.js';
import nodeIcal from 'node-ical';
import { expect } from 'vitest';

export interface ReadAttendee {
  email: string;
  cn: string | undefined;
  role: string | undefined;
  partstat: string | undefined;
  rsvp: boolean;
}

export interface ReadEvent {
  uid: string;
  sequence: number;
  summary: string;
  description: string;
  location: string;
  url: string | undefined;
  status: string | undefined;
  start: Date;
  end: Date;
  /** "2026-11-27T08:00:00": the wall clock the client shows for the event's own zone. */
  startWallClock: string;
  endWallClock: string;
  timeZone: string | undefined;
  organizerEmail: string | undefined;
  attendees: ReadAttendee[];
  alarmTriggers: string[];
}

export interface ReadCalendar {
  method: string | undefined;
  events: ReadEvent[];
}

const stripMailto = (value: string): string => value.replace(/^mailto:/i, '');

/** ical.js: needs the file's VTIMEZONEs registered to turn TZID wall clocks into instants. */
export function readWithIcalJs(ics: string): ReadCalendar {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone);
  const events = calendar.getAllSubcomponents('vevent').map((vevent): ReadEvent => {
    const event = new ICAL.Event(vevent);
    const organizer = vevent.getFirstPropertyValue('organizer');
    return {
      uid: event.uid,
      sequence: event.sequence,
      summary: event.summary,
      description: event.description,
      location: event.location,
      url: vevent.getFirstPropertyValue('url')?.toString(),
      status: vevent.getFirstPropertyValue('status')?.toString(),
      start: event.startDate.toJSDate(),
      end: event.endDate.toJSDate(),
      startWallClock: event.startDate.toString(),
      endWallClock: event.endDate.toString(),
      timeZone: event.startDate.zone?.tzid,
      organizerEmail: organizer ? stripMailto(String(organizer)) : undefined,
      attendees: vevent.getAllProperties('attendee').map((property) => ({
        email: stripMailto(String(property.getFirstValue())),
        cn: property.getParameter('cn')?.toString(),
        role: property.getParameter('role')?.toString(),
        partstat: property.getParameter('partstat')?.toString(),
        rsvp: String(property.getParameter('rsvp')).toUpperCase() === 'TRUE',
      })),
      alarmTriggers: vevent.getAllSubcomponents('valarm').map((alarm) => String(alarm.getFirstPropertyValue('trigger'))),
    };
  });
  return { method: calendar.getFirstPropertyValue('method')?.toString(), events };
}

type NodeIcalValue<T> = T | { val: T; params: Record<string, unknown> } | undefined;
const plain = <T>(value: NodeIcalValue<T>): T | undefined =>
  value !== null && typeof value === 'object' && 'val' in (value as object) ? (value as { val: T }).val : (value as T | undefined);

function wallClock(instant: Date, timeZone: string | undefined): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timeZone ?? 'UTC',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}`;
}

/** node-ical: resolves zones itself; property values come back bare or as { val, params }. */
export function readWithNodeIcal(ics: string): ReadCalendar {
  const parsed = nodeIcal.sync.parseICS(ics);
  let method: string | undefined;
  const events: ReadEvent[] = [];
  for (const component of Object.values(parsed)) {
    if (!component) continue;
    if (component.type === 'VCALENDAR') method = (component as { method?: string }).method;
    if (component.type !== 'VEVENT') continue;
    const event = component as nodeIcal.VEvent & Record<string, unknown>;
    const attendeeField = event['attendee'] as NodeIcalValue<string> | NodeIcalValue<string>[] | undefined;
    const attendeeList = attendeeField === undefined ? [] : Array.isArray(attendeeField) ? attendeeField : [attendeeField];
    const end = event.end ?? event.start;
    events.push({
      uid: event.uid,
      sequence: Number(event['sequence']),
      summary: plain(event.summary) ?? '',
      description: plain(event['description'] as NodeIcalValue<string>) ?? '',
      location: plain(event.location) ?? '',
      url: plain(event['url'] as NodeIcalValue<string>),
      status: event.status,
      start: new Date(event.start.getTime()),
      end: new Date(end.getTime()),
      startWallClock: wallClock(event.start, event.start.tz),
      endWallClock: wallClock(end, end.tz),
      timeZone: event.start.tz,
      organizerEmail: (() => {
        const organizer = plain(event['organizer'] as NodeIcalValue<string>);
        return organizer ? stripMailto(organizer) : undefined;
      })(),
      attendees: attendeeList.map((attendee) => {
        const params = attendee !== null && typeof attendee === 'object' ? (attendee.params as Record<string, unknown>) : ({} as Record<string, unknown>);
        return {
          email: stripMailto(plain(attendee) ?? ''),
          cn: params['CN'] === undefined ? undefined : String(params['CN']),
          role: params['ROLE'] === undefined ? undefined : String(params['ROLE']),
          partstat: params['PARTSTAT'] === undefined ? undefined : String(params['PARTSTAT']),
          rsvp: String(params['RSVP']).toUpperCase() === 'TRUE',
        };
      }),
      alarmTriggers: (event.alarms ?? []).map((alarm) => String(plain((alarm as Record<string, unknown>)['trigger'] as NodeIcalValue<string>))),
    });
  }
  return { method, events };
}

/**
 * What node-ical 0.26 reads for a TEXT value whose intended text is `text`. Its unescaping is a
 * chain of global replaces (node-ical/ical.js `text()`), so an escaped backslash before n, ; or ,
 * recombines (`C:\\new` comes back as `C:\` + newline + `ew`) and surrounding double quotes are
 * stripped. The same class of bug was fixed in other parsers (icalendar/icalendar#323); the
 * escaping we emit is RFC 5545's, which ical.js reads back exactly. Modelling the quirk keeps the
 * comparison exact instead of weakening it.
 */
export function asNodeIcalReadsIt(text: string): string {
  const escaped = text.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
  return escaped
    .replaceAll('\\,', ',')
    .replaceAll('\\;', ';')
    .replaceAll(/\\[nN]/g, '\n')
    .replaceAll('\\\\', '\\')
    .replace(/^"(.*)"$/, '$1');
}

/** Both readings, asserted to agree on everything both can express. */
export function readWithBothParsers(ics: string): ReadCalendar {
  const byIcalJs = readWithIcalJs(ics);
  const byNodeIcal = readWithNodeIcal(ics);
  const comparable = (calendar: ReadCalendar) => ({
    method: calendar.method,
    events: calendar.events.map(({ alarmTriggers: _alarms, ...rest }) => rest),
  });
  const asNodeIcalWouldRead = (calendar: ReadCalendar): ReadCalendar => ({
    ...calendar,
    events: calendar.events.map((event) => ({
      ...event,
      summary: asNodeIcalReadsIt(event.summary),
      description: asNodeIcalReadsIt(event.description),
      location: asNodeIcalReadsIt(event.location),
    })),
  });
  expect(comparable(byNodeIcal)).toEqual(comparable(asNodeIcalWouldRead(byIcalJs)));
  return byIcalJs;
}

/** RFC 5545 §3.1: every content line CRLF-terminated and at most 75 octets, UTF-8 intact. */
export function expectWellFormedContentLines(ics: string): void {
  const bytes = Buffer.from(ics, 'utf8');
  expect(bytes.toString('utf8')).toBe(ics);
  expect(ics.endsWith('\r\n')).toBe(true);
  const lines = ics.slice(0, -2).split('\r\n');
  for (const line of lines) {
    expect(line, 'bare CR or LF inside a line').not.toMatch(/[\r\n]/);
    expect(Buffer.byteLength(line, 'utf8'), `line over 75 octets: ${line}`).toBeLessThanOrEqual(75);
  }
}

/** The raw (unfolded) values of a property, for checks that parsers would normalise away. */
export function rawPropertyLines(ics: string, name: string): string[] {
  return ics
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter((line) => line.startsWith(`${name}:`) || line.startsWith(`${name};`));
}
