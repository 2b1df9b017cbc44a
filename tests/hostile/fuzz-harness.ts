/**
 * Test support for the API fuzz tests: requests as data (so fast-check can generate and shrink
 * them), hostile path segments, query strings and bodies, and the check every answer must pass.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { errorBody } from './response-schemas.ts';
import { fromZod, hostileString, hostileValue, HTML_MARKER, pollutionKey, type Hints } from './zod-arbitrary.ts';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** A path segment as a client could send it: encoded when it can be, raw bytes when it cannot. */
export function encodeSegment(value: string): string {
  // "." and ".." would be resolved away by the URL parser and reach another route.
  if (value === '.' || value === '..') return value.replaceAll('.', '%2E');
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate has no UTF-8 form: send the bytes a broken client would.
    return '%ED%A0%80';
  }
}

const rawSegments = ['%', '%zz', '%C0%AF', '%ED%A0%80', '%FF%FE', 'a%2Fb', 'x%2e%2e', '%00', '%0d%0aX:1', '%E0%A4%A'];

/** A path parameter: mostly what the route expects (`valid`), otherwise hostile text, raw broken escapes, or a huge value. */
export function pathParam(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: valid.map(encodeSegment), weight: 6 },
    { arbitrary: hostileString.map(encodeSegment), weight: 3 },
    { arbitrary: fc.constantFrom(...rawSegments), weight: 1 },
    { arbitrary: pollutionKey, weight: 1 },
  );
}

/** A query string from a query schema: valid-shaped values, hostile ones, repeated and unknown keys, broken escapes. */
export function queryString(schema: z.ZodType, hints: Hints): fc.Arbitrary<string> {
  const fromSchema = fromZod(schema, hints).map((value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return `?v=${encodeSegment(String(value))}`;
    const parts: string[] = [];
    for (const [key, v] of Object.entries(value)) {
      const values = Array.isArray(v) ? v : [v];
      for (const one of values) parts.push(`${encodeSegment(key)}=${encodeSegment(typeof one === 'object' ? (JSON.stringify(one) ?? '') : String(one))}`);
    }
    return parts.length ? `?${parts.join('&')}` : '';
  });
  return fc.oneof(
    { arbitrary: fromSchema, weight: 8 },
    {
      arbitrary: fc.constantFrom(
        '?',
        '?&&',
        '?=',
        '?limit=%',
        '?q=%E0%A4%A',
        '?__proto__=1',
        '?__proto__[admin]=1',
        '?constructor=x',
        '?limit=1&limit=2',
        '?a',
        `?q=${'%41'.repeat(3000)}`,
      ),
      weight: 1,
    },
    { arbitrary: fc.tuple(fromSchema, fromSchema).map(([a, b]) => (a && b ? `${a}&${b.slice(1)}` : a || b)), weight: 1 },
  );
}

export interface Body {
  contentType?: string;
  body?: string;
}

const malformedJson = fc.constantFrom(
  '',
  '{',
  '{"a":}',
  '{"a":1,}',
  "{'a':1}",
  '[1,2',
  'nul',
  '\u0000',
  '\uFEFF{}',
  '{"a":"\\ud800"}',
  '{"a":"\\x41"}',
  '1e999999',
  '{"__proto__":{"admin":true}}',
  '{"a":1}{"b":2}',
  '['.repeat(100_000) + ']'.repeat(100_000),
  '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000),
);

/**
 * A JSON body from a schema, mixed with hostile JSON, malformed JSON, wrong content types and an
 * oversized body. `plausible`, when given, adds bodies that satisfy the domain rules a schema
 * cannot express (end after start, at most 12 hours), so that a share of requests succeeds.
 */
export function jsonBody(schema: z.ZodType, hints: Hints, bodyLimitBytes: number, plausible?: fc.Arbitrary<unknown>): fc.Arbitrary<Body> {
  const huge = `{"title":"${'x'.repeat(bodyLimitBytes + 10)}"}`;
  return fc.oneof(
    ...(plausible ? [{ arbitrary: plausible.map((v) => ({ contentType: 'application/json', body: JSON.stringify(v) })), weight: 8 }] : []),
    { arbitrary: fromZod(schema, hints).map((v) => ({ contentType: 'application/json', body: JSON.stringify(v) })), weight: 16 },
    { arbitrary: hostileValue.map((v) => ({ contentType: 'application/json', body: JSON.stringify(v) ?? 'undefined' })), weight: 2 },
    { arbitrary: malformedJson.map((body) => ({ contentType: 'application/json', body })), weight: 2 },
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom<string | undefined>(
            undefined,
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/xml',
            'application/json; charset=utf-16',
            'APPLICATION/JSON',
            'application/jsonp',
            'application/json-patch+json',
          ),
          fromZod(schema, hints).map((v) => JSON.stringify(v)),
        )
        .map(([contentType, body]) => ({ ...(contentType ? { contentType } : {}), body })),
      weight: 2,
    },
    { arbitrary: fc.constant({ contentType: 'application/json', body: huge }), weight: 1 },
  );
}

/** A form body (pages): the expected fields with hostile values, repeated keys and prototype keys. */
export function formBody(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<Body> {
  const value = (valid: fc.Arbitrary<string>) => fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: hostileString, weight: 1 });
  const pairs = fc.tuple(
    fc.record(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fc.option(value(v), { nil: undefined, freq: 6 })]))),
    fc.array(fc.tuple(fc.oneof(pollutionKey, fc.constantFrom('x', ...Object.keys(fields)), fc.string({ maxLength: 6 })), hostileString), { maxLength: 3 }),
  );
  return fc.oneof(
    {
      arbitrary: pairs.map(([known, extra]) => {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(known)) if (v !== undefined) params.append(k, v);
        for (const [k, v] of extra) params.append(k, v);
        return { contentType: 'application/x-www-form-urlencoded', body: params.toString() };
      }),
      weight: 8,
    },
    {
      arbitrary: fc
        .constantFrom('%', 'a=%zz&b', '=&=&', '__proto__[x]=1&constructor[prototype][y]=2', `a=${'%41'.repeat(5000)}`)
        .map((body) => ({ contentType: 'application/x-www-form-urlencoded', body })),
      weight: 1,
    },
    {
      arbitrary: fc.constant({
        contentType: 'multipart/form-data; boundary=zz',
        body: '--zz\r\nContent-Disposition: form-data; name="title"\r\n\r\n<b>x</b>\r\n--zz--',
      }),
      weight: 1,
    },
    { arbitrary: fc.constant({ contentType: 'multipart/form-data; boundary=zz', body: '--zz\r\nbroken' }), weight: 1 },
    { arbitrary: fc.constant({ contentType: 'application/json', body: '{"email":"a"}' }), weight: 1 },
  );
}

export interface RouteExpectation {
  /** API routes answer every refusal as JSON `{ error }`; pages may answer with an HTML page. */
  kind: 'api' | 'page';
  /** The body of a 2xx JSON answer. */
  ok?: z.ZodType;
  /** A 2xx answer that is not JSON must have this content type. */
  okContentType?: RegExp;
}

/** Throws with a readable account of what is wrong with an answer, or returns. */
export function checkAnswer(request: FuzzRequest, answer: Answer, expectation: RouteExpectation): void {
  const fail = (why: string) => {
    const shown = request.body && request.body.length > 300 ? `${request.body.slice(0, 300)}… (${request.body.length} chars)` : request.body;
    throw new Error(
      `${why}\n  request: ${request.method} ${request.path.slice(0, 300)} ${JSON.stringify(request.headers)} ${shown ?? ''}\n  answer: ${answer.status} ${answer.contentType} ${answer.text.slice(0, 500)}`,
    );
  };
  if (answer.status >= 500) fail('server error');
  const json = /application\/json/.test(answer.contentType);
  let parsed: unknown;
  if (json) {
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      fail('answer says JSON but is not');
    }
  }
  if (/text\/html/.test(answer.contentType) && (answer.text.includes(HTML_MARKER) || answer.text.includes('<script>alert(1)</script>')))
    fail('page echoes injected HTML unescaped');
  if (answer.status >= 400) {
    if (expectation.kind === 'api' && !json) fail('API refusal is not JSON');
    if (json) {
      const shape = errorBody.safeParse(parsed);
      if (!shape.success) fail(`refusal does not have the error shape: ${shape.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return;
  }
  if (answer.status >= 300) return;
  if (expectation.ok) {
    if (!json) fail('success is not JSON');
    const shape = expectation.ok.safeParse(parsed);
    if (!shape.success)
      fail(
        `success does not match its schema: ${shape.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      );
  }
  if (expectation.okContentType && !expectation.okContentType.test(answer.contentType)) fail(`success has content type ${answer.contentType}`);
}

/** The request generators of one route and what its answers must satisfy. */
export interface FuzzTarget extends RouteExpectation {
  method: string;
  path: fc.Arbitrary<string>;
  query?: fc.Arbitrary<string>;
  body?: fc.Arbitrary<Body>;
}

/** Anything that answers a Request (a Hono app's `request`). */
export type Requester = (path: string, init: RequestInit) => Response | Promise<Response>;

/**
 * Sends `runs` generated requests to one route, checks every answer (checkAnswer) and returns
 * how many answers fell in each status class ("2xx", "4xx", …).
 */
export async function runFuzz(
  request: Requester,
  target: FuzzTarget,
  options: { runs: number; seed: number; cookie?: string },
): Promise<Record<string, number>> {
  const classes: Record<string, number> = {};
  const input = fc.record({
    path: target.path,
    query: target.query ?? fc.constant(''),
    body: target.body ? target.body.map((b): Body | undefined => b) : fc.constant<Body | undefined>(undefined),
    // Forms are posted from our own pages; some requests come without an Origin at all.
    origin: fc.nat(9).map((n) => (target.method === 'GET' ? n % 2 === 0 : n > 0)),
  });
  await fc.assert(
    fc.asyncProperty(input, async ({ path, query, body, origin }) => {
      const headers: Record<string, string> = {};
      if (options.cookie) headers.cookie = options.cookie;
      if (body?.contentType) headers['content-type'] = body.contentType;
      if (origin) headers.origin = 'http://localhost';
      const sent: FuzzRequest = { method: target.method, path: `${path}${query}`, headers, ...(body?.body === undefined ? {} : { body: body.body }) };
      const response = await request(sent.path, { method: sent.method, headers, ...(sent.body === undefined ? {} : { body: sent.body }) });
      checkAnswer(sent, { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() }, target);
      const statusClass = `${String(response.status)[0]}xx`;
      classes[statusClass] = (classes[statusClass] ?? 0) + 1;
    }),
    { numRuns: options.runs, seed: options.seed },
  );
  return classes;
}

/**
 * Answers that got past validation: 2xx, and 3xx for pages, whose forms answer success with a
 * redirect (303 See Other). Every route is signed in with a role that may use it, so a 3xx is
 * never the redirect to the sign-in page.
 */
export function acceptedCount(classes: Record<string, number>): number {
  return (classes['2xx'] ?? 0) + (classes['3xx'] ?? 0);
}

/**
 * The least number of accepted answers out of `runs` for a route whose generators should reach
 * past validation `share` of the time: at least one whenever the share is above zero, so a
 * route (or a generator) that refuses everything fails even in a short run.
 */
export function minimumAccepted(share: number, runs: number): number {
  return share > 0 ? Math.max(1, Math.floor(share * runs)) : 0;
}

/** Throws unless at least `minimum` generated requests were accepted. */
export function assertEnoughAccepted(route: string, classes: Record<string, number>, minimum: number): void {
  const accepted = acceptedCount(classes);
  if (accepted < minimum) {
    throw new Error(
      `${route}: only ${accepted} generated request(s) got past validation, expected at least ${minimum} (${JSON.stringify(classes)}); the generators no longer reach the service, or the route refuses what it should accept`,
    );
  }
}
