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
    serializers: { err: serializeError },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A request path fit for a log line: site links carry their secret in the path (/join/<token>). */
export function redactLinkTokens(path: string): string {
  return path.replace(/^\/(join|ready)\/[^/]+/, '/$1/[redacted]').replace(/([?&]token=)[^&]*/g, '$1[redacted]');
}

/**
 * Errors as pino prints them, minus query parameters: drizzle puts a failed query's parameters
 * (password hashes, token hashes, personal data) into the message and a `params` field.
 */
export function serializeError(error: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  const strip = (value: unknown) => (typeof value === 'string' ? value.replace(/\nparams: [\s\S]*?(?=\n\s+at |$)/g, '\nparams: [redacted]') : value);
  const clean = (node: Record<string, unknown>, depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...node, message: strip(node.message), stack: strip(node.stack) };
    delete out.params;
    if (depth < 3 && out.cause && typeof out.cause === 'object') out.cause = clean(out.cause as Record<string, unknown>, depth + 1);
    return out;
  };
  return clean(serialized, 0);
}
