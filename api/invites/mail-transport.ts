/**
 * Getting composed messages out of the process: the MailTransport seam the outbox dispatcher calls,
 * the pooled SMTP implementation, and the verdict on a failed send (retry or give up).
 * The local-folder implementation for machines without SMTP lives in mail-folder.ts; the
 * composition root picks one (server/mail-transport.ts).
 */
import nodemailer from 'nodemailer';
import pino, { type Logger } from 'pino';
import { recordAcceptance } from './delivery-journal-line.ts';
import type { OutgoingMail } from './email.ts';

export interface SendResult {
  messageId: string;
  /** Recipients the server took. */
  accepted: string[];
  /**
   * Recipients the server refused while taking the others (e.g. one Cc mailbox that no longer
   * exists). The send still counts as done; the caller may record them. When *every* recipient
   * is refused, send() rejects instead.
   */
  rejected: string[];
}

export interface SendOptions {
  /**
   * Record the acceptance in this delivery journal (delivery-journal.ts) the moment the server
   * gives it, before send() resolves: { id: inviteId, messageId, sentAt: the acceptance's time }.
   */
  journal?: { file: string; inviteId: string };
}

export interface MailTransport {
  /** Rejects with the underlying error; classifySendError tells whether to retry. */
  send(message: OutgoingMail, options?: SendOptions): Promise<SendResult>;
  /** Idempotent. Ends pooled connections; sends still queued fail as transient. */
  close(): Promise<void>;
}

export interface SendErrorVerdict {
  kind: 'transient' | 'permanent';
  /** The SMTP reply code, when the server answered. */
  code?: number;
  reason: string;
}

// Failures of the path to the server or of our own set-up: the message itself is fine and the
// same message can go through once the network, the relay or the configuration recovers.
const TRANSIENT_ERROR_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROXY',
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ECONFIG',
  'EMAXLIMIT',
  'EABORT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOSPC',
  'EMFILE',
  'EBUSY',
]);

// Failures while logging in or securing the SMTP conversation, whatever reply code the server gave.
const SESSION_SETUP_ERROR_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ETLS', 'EREQUIRETLS']);

// Failures of the message: sending the same bytes again gets the same answer.
const PERMANENT_ERROR_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS', 'EFILEACCESS', 'EURLACCESS']);

const errorField = (err: unknown, field: string): unknown => (err !== null && typeof err === 'object' ? (err as Record<string, unknown>)[field] : undefined);

/**
 * Retry or give up? "permanent" means no retry of this message can succeed: the server refused
 * it with a 5xx reply, or the message cannot be built. Everything else is transient, including
 * authentication and TLS failures (fixing the configuration makes the same message go through)
 * and errors we cannot recognise (a bounded number of retries costs less than a lost invitation).
 */
export function classifySendError(err: unknown): SendErrorVerdict {
  const responseCode = errorField(err, 'responseCode');
  const response = errorField(err, 'response');
  const command = errorField(err, 'command');
  const code = errorField(err, 'code');
  const message = err instanceof Error ? err.message : String(err);

  // A 535 to AUTH is about our credentials, not the message: once fixed, the same message goes.
  if (typeof code === 'string' && SESSION_SETUP_ERROR_CODES.has(code)) {
    const reply = typeof responseCode === 'number' ? { code: responseCode } : {};
    return { kind: 'transient', ...reply, reason: `${code}: ${typeof response === 'string' ? response : message}` };
  }
  if (typeof responseCode === 'number' && Number.isInteger(responseCode)) {
    const reason = typeof response === 'string' && response.length > 0 ? response : message;
    // RFC 5321 §4.5.3.1.10: a 552 to RCPT is really "too many recipients", to be retried as 452.
    const rcpt552 = responseCode === 552 && typeof command === 'string' && /^RCPT\b/i.test(command);
    // 503 is "bad sequence of commands": the conversation's state, not the message (nodemailer agrees).
    const permanent = responseCode >= 500 && responseCode < 600 && responseCode !== 503 && !rcpt552;
    return { kind: permanent ? 'permanent' : 'transient', code: responseCode, reason };
  }
  if (typeof code === 'string' && PERMANENT_ERROR_CODES.has(code)) {
    return { kind: 'permanent', reason: `${code}: ${message}` };
  }
  if (typeof code === 'string' && TRANSIENT_ERROR_CODES.has(code)) {
    return { kind: 'transient', reason: `${code}: ${message}` };
  }
  return { kind: 'transient', reason: typeof code === 'string' ? `${code}: ${message}` : message };
}

export interface SmtpTransportOptions {
  /** smtp://user:pass@host:port or smtps://… */
  url: string;
  maxConnections: number;
  /** Messages per second across the pool; fractions allowed. */
  ratePerSecond: number;
  logger?: Logger;
  /** Milliseconds; defaults suit a slow provincial relay. Tests shorten them. */
  timeouts?: { connection?: number; greeting?: number; socket?: number };
}

/**
 * Appends an acceptance to the journal named in the send's options, if any. A journal that
 * cannot be written is logged by the caller's transport and does not undo the acceptance: the
 * row is then recorded by the database write alone, as without a journal.
 */
export function journalAcceptance(options: SendOptions | undefined, messageId: string, logger?: Logger): void {
  if (!options?.journal) return;
  try {
    recordAcceptance(options.journal.file, { id: options.journal.inviteId, messageId, sentAt: new Date().toISOString() });
  } catch (error) {
    logger?.error({ err: error, inviteId: options.journal.inviteId }, 'could not write the delivery journal');
  }
}

/** nodemailer's limiter counts whole messages per window, so a fractional rate widens the window. */
function rateWindow(ratePerSecond: number): { rateLimit: number; rateDelta: number } {
  if (ratePerSecond >= 1) return { rateLimit: Math.floor(ratePerSecond), rateDelta: 1000 };
  return { rateLimit: 1, rateDelta: Math.ceil(1000 / ratePerSecond) };
}

/** Pooled SMTP through nodemailer; errors carry responseCode/response/command for classifySendError. */
export function createSmtpTransport(options: SmtpTransportOptions): MailTransport {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'mail-transport', transport: 'smtp' });
  const transporter = nodemailer.createTransport({
    pool: true,
    url: options.url,
    maxConnections: options.maxConnections,
    // A fresh connection now and then keeps one long SMTP conversation from hitting relay per-connection caps.
    maxMessages: 100,
    ...rateWindow(options.ratePerSecond),
    connectionTimeout: options.timeouts?.connection ?? 30_000,
    greetingTimeout: options.timeouts?.greeting ?? 30_000,
    socketTimeout: options.timeouts?.socket ?? 120_000,
  });
  let closed = false;

  return {
    async send(message, sendOptions) {
      try {
        const info = await transporter.sendMail(message);
        journalAcceptance(sendOptions, info.messageId, logger);
        const accepted = info.accepted.map(String);
        const rejected = info.rejected.map(String);
        if (rejected.length > 0) {
          logger.warn({ messageId: info.messageId, rejected, response: info.response }, 'some recipients refused');
        }
        logger.info({ messageId: info.messageId, accepted: accepted.length, response: info.response }, 'mail sent');
        return { messageId: info.messageId, accepted, rejected };
      } catch (err) {
        const verdict = classifySendError(err);
        logger.warn({ messageId: message.messageId, ...verdict }, 'mail send failed');
        throw err;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      transporter.close();
    },
  };
}
