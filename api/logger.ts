/** The structured logger. Every request and meeting log line carries its id as a child binding. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'hoinghi' },
    // Secrets that could reach a log line through a request or an error: never print them.
    redact: {
      paths: ['*.password', '*.token', '*.joinToken', 'req.headers.cookie', 'headers.cookie', '*.passwordHash'],
      censor: '[redacted]',
    },
  });
}
