/**
 * The local mail folder: a MailTransport for machines without SMTP (a district office laptop, a demo)
 * that writes each message to a folder, and the readers behind the secretariat's /mail page,
 * where staff download the .eml to forward by hand or the .ics to import.
 *
 * Per message, three files named by its id (sortable by time):
 *   <id>.eml   the complete RFC 5322 message, CRLF, exactly what SMTP would have carried
 *   <id>.ics   the calendar, when the message has one
 *   <id>.json  the listing summary (date, from, to, subject, method); written last, so a message
 *              exists for readers only once all its files are complete
 * Every file is written to a dot-prefixed temporary name and renamed into place, so a crash
 * leaves either nothing or a stray temporary, never a truncated message.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import type { OutgoingMail } from './email.ts';
import { journalAcceptance, type MailTransport } from './mail-transport.ts';

/** "20261127T010203456Z-9f86d081884c7d65": UTC time of writing, then randomness. */
const MAIL_ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{16}$/;

export class InvalidMailIdError extends Error {
  readonly status = 400;
  constructor(id: string) {
    super(`not an outbox message id: ${JSON.stringify(id.slice(0, 80))}`);
    this.name = 'InvalidMailIdError';
  }
}

export class MailNotFoundError extends Error {
  readonly status = 404;
  constructor(id: string) {
    super(`no outbox message ${id}`);
    this.name = 'MailNotFoundError';
  }
}

export const mailFolderEntrySchema = z.object({
  id: z.string().regex(MAIL_ID_PATTERN),
  /** ISO 8601, UTC. */
  createdAt: z.iso.datetime(),
  messageId: z.string(),
  from: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  subject: z.string(),
  /** METHOD of the attached calendar, null for a message without one. */
  calendarMethod: z.string().nullable(),
  sizeBytes: z.number().int().nonnegative(),
});
export type MailFolderEntry = z.infer<typeof mailFolderEntrySchema>;

export interface MailFolderMessage {
  entry: MailFolderEntry;
  /** The .eml bytes, for download as message/rfc822. */
  raw: Buffer;
  /** The .ics text, for download as text/calendar; null when the message has no calendar. */
  ics: string | null;
}

function newMailId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, ''); // 20261127T010203456Z
  return `${stamp}-${randomBytes(8).toString('hex')}`;
}

/**
 * The file of a message, refusing anything that is not an id we issue: the id arrives from a URL,
 * and a pattern that admits only digits, letters and one dash cannot name another directory.
 */
function outboxFile(dir: string, id: string, extension: 'eml' | 'ics' | 'json'): string {
  if (!MAIL_ID_PATTERN.test(id)) throw new InvalidMailIdError(id);
  const root = path.resolve(dir);
  const file = path.resolve(root, `${id}.${extension}`);
  if (path.dirname(file) !== root) throw new InvalidMailIdError(id);
  return file;
}

async function writeAtomically(file: string, data: string | Buffer): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, data, { flush: true });
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

type AddressField = OutgoingMail['to'];
type AddressItem = Exclude<AddressField, undefined | null | readonly unknown[]> | AddressField[];

/** "Name <address>" strings for the listing, whatever shape nodemailer accepted (groups flattened). */
function addressList(field: AddressField | AddressItem): string[] {
  if (field === undefined || field === null) return [];
  if (Array.isArray(field)) return field.flatMap((item) => addressList(item as AddressItem));
  if (typeof field === 'string') return [field];
  const mailbox = field as { name?: string; address: string };
  return [mailbox.name ? `${mailbox.name} <${mailbox.address}>` : mailbox.address];
}

/** The calendar text, when the message carries one we can read without consuming a stream. */
function calendarOf(message: OutgoingMail): { method: string; ics: string } | null {
  const event = message.icalEvent;
  if (event === undefined || event === null) return null;
  const described = typeof event === 'object' && !Buffer.isBuffer(event) && 'content' in event ? event : null;
  const content = described ? described.content : event;
  const ics = typeof content === 'string' ? content : Buffer.isBuffer(content) ? content.toString('utf8') : null;
  if (ics === null) return null;
  return { method: (described?.method ?? 'PUBLISH').toUpperCase(), ics };
}

export interface MailFolderOptions {
  dir: string;
  logger?: Logger;
  /** Injected so tests can order messages; the wall clock otherwise. */
  now?: () => Date;
}

export function createMailFolderTransport(options: MailFolderOptions): MailTransport {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'mail-transport', transport: 'local-outbox' });
  const now = options.now ?? (() => new Date());
  // streamTransport builds the exact bytes SMTP would send; CRLF as on the wire and in .eml files.
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let closed = false;

  return {
    async send(message, sendOptions) {
      if (closed) throw Object.assign(new Error('local mail folder is closed'), { code: 'ECONNECTION' });
      await mkdir(options.dir, { recursive: true });
      const info = await builder.sendMail(message);
      const raw = info.message as Buffer;
      const createdAt = now();
      const id = newMailId(createdAt);
      const calendar = calendarOf(message);
      const entry: MailFolderEntry = {
        id,
        createdAt: createdAt.toISOString(),
        messageId: info.messageId,
        from: addressList(message.from)[0] ?? '',
        to: addressList(message.to),
        cc: addressList(message.cc),
        subject: message.subject ?? '',
        calendarMethod: calendar?.method ?? null,
        sizeBytes: raw.length,
      };
      await writeAtomically(outboxFile(options.dir, id, 'eml'), raw);
      if (calendar) await writeAtomically(outboxFile(options.dir, id, 'ics'), calendar.ics);
      await writeAtomically(outboxFile(options.dir, id, 'json'), JSON.stringify(entry, null, 2) + '\n');
      journalAcceptance(sendOptions, info.messageId, logger);
      logger.info({ mailId: id, messageId: info.messageId, to: entry.to }, 'mail written to the local mail folder');
      return { messageId: info.messageId, accepted: info.envelope.to.map(String), rejected: [] };
    },
    async close() {
      closed = true;
    },
  };
}

/** Summaries of the messages in the outbox, newest first. A missing folder is an empty outbox. */
export async function listMailFolder(dir: string, options: { limit?: number; logger?: Logger } = {}): Promise<MailFolderEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ids = names
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .filter((id) => MAIL_ID_PATTERN.test(id))
    .sort()
    .reverse()
    .slice(0, options.limit ?? Number.POSITIVE_INFINITY);
  const entries: MailFolderEntry[] = [];
  for (const id of ids) {
    // One damaged summary (edited by hand, disk trouble) must not hide the rest of the outbox.
    try {
      entries.push(mailFolderEntrySchema.parse(JSON.parse(await readFile(outboxFile(dir, id, 'json'), 'utf8'))));
    } catch (err) {
      options.logger?.warn({ mailId: id, err }, 'unreadable outbox summary skipped');
    }
  }
  return entries;
}

/** One message with its raw bytes and calendar. Throws InvalidMailIdError / MailNotFoundError. */
export async function readMailFolderMessage(dir: string, id: string): Promise<MailFolderMessage> {
  const summaryFile = outboxFile(dir, id, 'json');
  let summary: string;
  try {
    summary = await readFile(summaryFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MailNotFoundError(id);
    throw err;
  }
  const entry = mailFolderEntrySchema.parse(JSON.parse(summary));
  const raw = await readFile(outboxFile(dir, id, 'eml'));
  const ics = entry.calendarMethod === null ? null : await readFile(outboxFile(dir, id, 'ics'), 'utf8');
  return { entry, raw, ics };
}
