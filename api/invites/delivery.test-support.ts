/**
 * Test support for outbox and dispatcher tests: a dispatcher wired to a test app and an SMTP
 * transport, waiting for arrivals, and reading what arrived (mailparser, then the calendar part
 * with both ical.js and node-ical).
 */
import { inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { sites } from '../../db/schema.ts';
import type { TestApp } from '../../tests/support/app.ts';
import type { DeliveryJournal } from './delivery-journal.ts';
import { InviteDispatcher, dispatcherOptionsFrom, type DispatcherOptions } from './dispatcher.ts';
import { readWithBothParsers, type ReadEvent } from './ics-readers.test-support.ts';
import { calendarParts, parseMail } from './invite-fixtures.test-support.ts';
import type { MailTransport } from './mail-transport.ts';
import { createThreadedSmtpTransport } from './threaded-smtp-transport.ts';
import type { ReceivedMail } from './smtp-test-server.test-support.ts';

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Production's transport (SMTP on its own thread) at a test's pace. Its timers run on the SMTP
 * thread while the test's SMTP server answers from the test's main thread, which a loaded machine
 * can hold up for seconds: the timeouts are generous unless a test needs one short (a relay that
 * hangs on purpose).
 */
export function testTransport(url: string, maxConnections = 5, timeouts: { connection?: number; greeting?: number; socket?: number } = {}): MailTransport {
  return createThreadedSmtpTransport({
    url,
    maxConnections,
    ratePerSecond: 1000,
    timeouts: { connection: 30_000, greeting: 30_000, socket: 30_000, ...timeouts },
  });
}

/** `using`: a delivery journal, and a database handle to use instead of the app's (to fail it on purpose). */
export function testDispatcher(
  t: TestApp,
  transport: MailTransport,
  options: Partial<DispatcherOptions> = {},
  using: { journal?: DeliveryJournal; db?: Database } = {},
): InviteDispatcher {
  return new InviteDispatcher({
    ctx: using.db ? { ...t.ctx, db: using.db } : t.ctx,
    transport,
    ...(using.journal ? { journal: using.journal } : {}),
    outbox: t.services.invites,
    // An hour's poll: anything delivered promptly was delivered by the wake-up.
    options: { ...dispatcherOptionsFrom(t.ctx.config), concurrency: 5, batchSize: 20, pollMs: 3600_000, reminderHoursBefore: 0, random: () => 0.5, ...options },
  });
}

export interface Arrival {
  rcptTo: string[];
  to: string;
  subject: string;
  messageId: string;
  contentTypeMethod: string | undefined;
  event: ReadEvent | null;
  text: string;
}

/** One received message as mail clients and calendars read it. */
export async function readArrival(mail: ReceivedMail): Promise<Arrival> {
  const parsed = await parseMail(mail.raw);
  const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
  let event: ReadEvent | null = null;
  let contentTypeMethod: string | undefined;
  if (parsed.attachments.some((a) => a.contentType === 'text/calendar')) {
    const parts = calendarParts(parsed);
    contentTypeMethod = parts.contentTypeMethod;
    const calendar = readWithBothParsers(parts.alternativeIcs);
    if (calendar.events.length !== 1) throw new Error(`expected one VEVENT, got ${calendar.events.length}`);
    event = calendar.events[0]!;
  }
  return {
    rcptTo: mail.rcptTo,
    to: to?.value[0]?.address ?? '',
    subject: parsed.subject ?? '',
    messageId: parsed.messageId ?? '',
    contentTypeMethod,
    event,
    text: parsed.text ?? '',
  };
}

/** site id by its (seeded) contact address. */
export async function sitesByEmail(t: TestApp, siteIds: string[]): Promise<Map<string, string>> {
  const rows = await t.database.db.select({ id: sites.id, contactEmails: sites.contactEmails }).from(sites).where(inArray(sites.id, siteIds));
  return new Map(rows.flatMap((r) => r.contactEmails.map((email) => [email, r.id] as const)));
}

/** The token at the end of a /join/… or /ready/… link. */
export function tokenOf(link: string): string {
  return (
    new URL(link).pathname
      .replace(/\/check$/, '')
      .split('/')
      .pop() ?? ''
  );
}

export function linkIn(text: string, kind: 'join' | 'ready'): string {
  const match = new RegExp(`https?://\\S+/${kind}/[A-Za-z0-9_-]+`).exec(text);
  if (!match) throw new Error(`no ${kind} link in message`);
  return match[0];
}
