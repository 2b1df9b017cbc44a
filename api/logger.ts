/** The structured logger. Every request and meeting log line carries its id as a child binding. */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** `destination` defaults to stdout; tests pass a stream to read every line that was logged. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'hoinghi' },
    // Secrets that could reach a log line through a request or an error: never print them.
    redact: {
      paths: ['*.password', '*.token', '*.joinToken', 'req.headers.cookie', 'headers.cookie', '*.passwordHash', '*.tokens', '*.links'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A request path fit for a log line: site links carry their secret in the path (/join/<token>). */
export function redactLinkTokens(path: string): string {
  return path.replace(/^\/(join|ready)\/[^/]+/, '/$1/[redacted]').replace(/([?&]token=)[^&]*/g, '$1[redacted]');
}
