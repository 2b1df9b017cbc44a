/**
 * Which way invitations leave the process, decided once from the configuration: SMTP when
 * SMTP_URL is set (in a thread of its own, see threaded-smtp-transport.ts), else the local mail
 * folder under DATA_DIR.
 */
import type { Logger } from 'pino';
import type { MailConfig } from '../api/invites/config.ts';
import { createMailFolderTransport } from '../api/invites/mail-folder.ts';
import type { MailTransport } from '../api/invites/mail-transport.ts';
import { createThreadedSmtpTransport } from '../api/invites/threaded-smtp-transport.ts';

export function createMailTransport(config: MailConfig & { MAIL_FOLDER_DIR: string }, logger?: Logger): MailTransport {
  if (config.SMTP_URL) {
    return createThreadedSmtpTransport({
      url: config.SMTP_URL,
      maxConnections: config.SMTP_MAX_CONNECTIONS,
      ratePerSecond: config.SMTP_RATE_PER_SECOND,
      ...(logger ? { logger } : {}),
    });
  }
  return createMailFolderTransport({ dir: config.MAIL_FOLDER_DIR, ...(logger ? { logger } : {}) });
}
