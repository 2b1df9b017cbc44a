/**
 * The mail part of the configuration. The app composes every part's schema and parses the
 * environment once at start-up (api/config.ts); nothing in api/invites reads process.env.
 */
import { z } from 'zod';
import type { Mailbox } from './ical.ts';

export const DEFAULT_MAIL_FROM = 'Văn phòng UBND tỉnh <vanphong@hoinghi.local>';

// "Display Name <address>" or a bare address. The name may be Vietnamese; nodemailer encodes it.
const MAILBOX_PATTERN = /^\s*(?:(?<name>[^<>"\r\n]+?)\s*<(?<angled>[^<>\s]+@[^<>\s]+)>|(?<bare>[^<>\s]+@[^<>\s]+))\s*$/;

export const mailConfigSchema = z.object({
  /**
   * smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465 (TLS from the start);
   * URL-encode special characters in the password. Unset: messages go to the local mail folder instead.
   */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL')
    .optional(),
  /** The secretariat mailbox: the From of every message and the ORGANIZER of every invite. */
  MAIL_FROM: z.string().regex(MAILBOX_PATTERN, 'must be "Name <address@domain>" or "address@domain"').default(DEFAULT_MAIL_FROM),
  /** Parallel SMTP connections in the pool. Relays of provincial mail systems often cap this. */
  SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(50).default(5),
  /** Messages per second across the pool; fractions allowed (0.5 = one every two seconds). */
  SMTP_RATE_PER_SECOND: z.coerce.number().positive().max(1000).default(5),
  /** Where the local mail folder keeps .eml files when SMTP_URL is unset. Default: DATA_DIR/mail. */
  MAIL_FOLDER_DIR: z.string().min(1).optional(),
});
export type MailConfig = z.infer<typeof mailConfigSchema>;

/** How the outbox dispatcher (dispatcher.ts) works through the invites table. */
export const dispatcherConfigSchema = z.object({
  /** Seconds between looks at the outbox when nothing woke the dispatcher (retries, reminders). */
  INVITE_POLL_SECONDS: z.coerce.number().positive().max(3600).default(15),
  /** Rows claimed per round trip. */
  INVITE_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(25),
  /**
   * How long a claimed row belongs to this dispatcher. A row still 'sending' after its lease is
   * taken to belong to a dead process and is claimed again, so keep it well above twice the time
   * one batch takes at SMTP_RATE_PER_SECOND plus the SMTP timeouts (a batch claimed ahead keeps
   * the lease it was claimed with while at least half of it is left).
   */
  INVITE_LEASE_SECONDS: z.coerce.number().positive().max(86_400).default(600),
  /** Attempts before a transiently failing message is marked failed for the secretariat. */
  INVITE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  /**
   * The dispatcher's delivery journal (see delivery-journal.ts); one dispatcher per file.
   * Defaults to DATA_DIR/invite-journal.ndjson.
   */
  INVITE_JOURNAL_FILE: z.string().min(1).optional(),
  /** Remind sites that have not confirmed this many hours before the start; 0 disables. */
  REMINDER_HOURS_BEFORE: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 14)
    .default(24),
});
export type DispatcherConfig = z.infer<typeof dispatcherConfigSchema>;

/** MAIL_FROM as the organizer mailbox the calendar and e-mail composers take. */
export function parseMailbox(value: string): Mailbox {
  const groups = MAILBOX_PATTERN.exec(value)?.groups;
  const email = groups?.['angled'] ?? groups?.['bare'];
  if (!email) throw new Error(`not a mailbox: ${JSON.stringify(value)}`);
  const name = groups?.['name']?.trim();
  return { name: name || email, email };
}
