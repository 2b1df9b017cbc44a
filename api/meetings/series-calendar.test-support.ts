/**
 * Test support: a site's calendar as a calendar client keeps it after applying every iTIP message
 * it received about one series (RFC 5546): a REQUEST without RECURRENCE-ID replaces the series, one
 * with RECURRENCE-ID replaces that occurrence, a CANCEL with RECURRENCE-ID removes it (an EXDATE).
 * The stored calendar is then expanded by ical.js and by node-ical independently, each to the
 * occurrences it would show.
 */
import ICAL from 'ical.js';
import nodeIcal from 'node-ical';

interface Block {
  lines: string[];
  uid: string;
  sequence: number;
  /** The RECURRENCE-ID line's parameters and value ("TZID=Asia/Ho_Chi_Minh:20261228T090000"), or null. */
  recurrenceId: string | null;
}

export interface SeriesCalendar {
  timezones: string[][];
  master: Block | null;
  overrides: Map<string, Block>;
  /** RECURRENCE-ID values (parameters included) of cancelled occurrences. */
  cancelled: Set<string>;
}

export function emptyCalendar(): SeriesCalendar {
  return { timezones: [], master: null, overrides: new Map(), cancelled: new Set() };
}

const unfold = (ics: string) => ics.replace(/\r\n[ \t]/g, '').split(/\r\n/);

function blocks(lines: string[], name: string): string[][] {
  const out: string[][] = [];
  let current: string[] | null = null;
  let depth = 0;
  for (const line of lines) {
    if (line === `BEGIN:${name}`) {
      if (depth === 0) current = [];
      depth++;
    }
    if (current) current.push(line);
    if (line === `END:${name}`) {
      depth--;
      if (depth === 0 && current) {
        out.push(current);
        current = null;
      }
    }
  }
  return out;
}

const property = (lines: string[], name: string) => lines.find((l) => l.startsWith(`${name}:`) || l.startsWith(`${name};`));
const valueOfLine = (line: string | undefined) => (line ? line.slice(line.indexOf(':') + 1) : undefined);

/** Applies one received .ics (an e-mail's text/calendar part) to the site's calendar. */
export function applyMessage(calendar: SeriesCalendar, ics: string): void {
  const lines = unfold(ics);
  const method = valueOfLine(property(lines, 'METHOD'));
  if (calendar.timezones.length === 0) calendar.timezones = blocks(lines, 'VTIMEZONE');
  for (const event of blocks(lines, 'VEVENT')) {
    const rid = property(event, 'RECURRENCE-ID');
    const block: Block = {
      lines: event,
      uid: valueOfLine(property(event, 'UID'))!,
      sequence: Number(valueOfLine(property(event, 'SEQUENCE')) ?? 0),
      recurrenceId: rid ? rid.slice('RECURRENCE-ID'.length + 1) : null,
    };
    if (block.recurrenceId === null) {
      if (method === 'REQUEST' && (!calendar.master || calendar.master.sequence <= block.sequence)) calendar.master = block;
      continue;
    }
    if (method === 'CANCEL') {
      calendar.overrides.delete(block.recurrenceId);
      calendar.cancelled.add(block.recurrenceId);
    } else if (method === 'REQUEST') {
      const existing = calendar.overrides.get(block.recurrenceId);
      if (!existing || existing.sequence <= block.sequence) calendar.overrides.set(block.recurrenceId, block);
    }
  }
}

/** The stored calendar as one .ics: the series with an EXDATE per cancelled occurrence, and its overrides. */
export function storedIcs(calendar: SeriesCalendar): string {
  if (!calendar.master) throw new Error('no series received');
  const master = [...calendar.master.lines];
  const exdates = [...calendar.cancelled].map((rid) => `EXDATE;${rid}`);
  master.splice(master.length - 1, 0, ...exdates);
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//series store//VI',
    ...calendar.timezones.flat(),
    ...master,
    ...[...calendar.overrides.values()].flatMap((b) => b.lines),
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

export interface Occurrence {
  start: Date;
  end: Date;
}

/** ical.js: the master event with its exceptions related, iterated. */
export function expandWithIcalJs(ics: string): Occurrence[] {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone);
  const vevents = calendar.getAllSubcomponents('vevent');
  const master = new ICAL.Event(vevents.find((v) => !v.hasProperty('recurrence-id')));
  for (const v of vevents.filter((e) => e.hasProperty('recurrence-id'))) master.relateException(new ICAL.Event(v));
  const iterator = master.iterator();
  const out: Occurrence[] = [];
  for (let next = iterator.next(); next && out.length < 500; next = iterator.next()) {
    const details = master.getOccurrenceDetails(next);
    out.push({ start: details.startDate.toJSDate(), end: details.endDate.toJSDate() });
  }
  return out;
}

type NodeIcalEvent = {
  type: string;
  start: Date;
  end: Date;
  rrule?: { all(iterator?: (d: Date, i: number) => boolean): Date[] };
  exdate?: Record<string, Date>;
  recurrences?: Record<string, { start: Date; end: Date }>;
  recurrenceid?: Date;
};

/** node-ical: the master's rrule dates, less its EXDATEs, with its recurrences applied. */
export function expandWithNodeIcal(ics: string): Occurrence[] {
  const parsed = nodeIcal.sync.parseICS(ics) as unknown as Record<string, NodeIcalEvent>;
  const master = Object.values(parsed).find((e) => e.type === 'VEVENT' && e.rrule);
  if (!master?.rrule) throw new Error('node-ical found no recurring event');
  const duration = master.end.getTime() - master.start.getTime();
  const out: Occurrence[] = [];
  for (const date of master.rrule.all((_, i) => i < 500)) {
    const key = date.toISOString().slice(0, 10);
    const exdates = Object.values(master.exdate ?? {});
    if (exdates.some((d) => d.getTime() === date.getTime())) continue;
    const override = Object.values(master.recurrences ?? {}).find((r) => (r as NodeIcalEvent).recurrenceid?.getTime() === date.getTime());
    if (override) out.push({ start: override.start, end: override.end });
    else if (master.recurrences?.[key]) out.push({ start: master.recurrences[key]!.start, end: master.recurrences[key]!.end });
    else out.push({ start: date, end: new Date(date.getTime() + duration) });
  }
  return out;
}
