/** Boundary parsing: every body and query goes through a zod schema before use. */
import type { Context } from 'hono';
import { z } from 'zod';
import { quoteInput, ValidationError } from './errors.ts';

export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(contentType)) {
    throw new ValidationError('Expected a JSON body (Content-Type: application/json)', undefined, 400);
  }
  const text = await c.req.text();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the body (control characters and all); say only where it broke.
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    throw new ValidationError(`Malformed JSON body${position === undefined ? '' : ` (at character ${position})`}`, undefined, 400);
  }
  refuseNul(raw);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw ValidationError.fromZod(parsed.error, 400);
  return parsed.data;
}

/**
 * PostgreSQL text cannot hold NUL: a query carrying one fails inside the driver, which would be
 * a 500. No valid input contains one, so any string or key with a NUL is refused at the
 * boundary, before a schema lets it through to a query (a search term, an e-mail at sign-in).
 */
function refuseNul(input: unknown): void {
  // Iterative: bodies may nest deeper than the stack.
  const pending = [input];
  while (pending.length) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw new ValidationError('Invalid input: text must not contain NUL characters', undefined, 400);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) pending.push(key, inner);
    }
  }
}

/**
 * A page's form body. A body that cannot be parsed (a broken multipart boundary, a form sent
 * with a JSON content type) is the client's mistake: 400, not the 500 Hono's parser would give.
 */
export async function parseFormBody(c: Context, options: { all?: boolean } = {}): Promise<Record<string, unknown>> {
  let form: Record<string, unknown>;
  try {
    form = await c.req.parseBody(options);
  } catch {
    throw new ValidationError('Malformed form body: send application/x-www-form-urlencoded or multipart/form-data', undefined, 400);
  }
  refuseNul(form);
  return form;
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const query = c.req.query();
  refuseNul(query);
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw ValidationError.fromZod(parsed.error, 400);
  return parsed.data;
}

export function parseParam<S extends z.ZodType>(value: string | undefined, schema: S, what: string): z.output<S> {
  refuseNul(value);
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(`Invalid ${what}: ${quoteInput(value)}`, undefined, 400);
  return parsed.data;
}

/** Control characters (other than tab and newlines) have no place in names and agendas, and NUL cannot be stored. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Free text from people: trimmed, NFC-normalised (Vietnamese typed on different keyboards compares equal), no control characters. */
export function humanText(maxLength: number) {
  return z
    .string()
    .transform((s) => s.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(1, 'must not be empty')
        .max(maxLength, `must be at most ${maxLength} characters`)
        .refine((s) => !CONTROL_CHARACTERS.test(s), 'must not contain control characters'),
    );
}

export const uuidParam = z.uuid();

/** How the API answers an instant: ISO 8601 in Vietnam time, "2026-12-01T08:00:00+07:00" (response schemas). */
export const vietnamIsoString = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+07:00$/, 'must be ISO 8601 in Vietnam time (+07:00)');
