/**
 * Test support: fast-check arbitraries derived from our zod schemas, mixing values the schema
 * accepts with hostile ones. Covers only the shapes the API uses (objects, strings with a
 * format / length / regex, numbers, booleans, enums, literals, arrays, optional, nullable,
 * default, pipes and unions); an unknown shape is a test bug and throws, so a new schema kind
 * cannot silently go unfuzzed.
 *
 * "Valid" here means valid in shape: ids come from a pool of real rows when one is given, times
 * from a window around the test clock, so that a good share of the inputs reach the services.
 */
import fc from 'fast-check';
import type { z } from 'zod';

export interface Hints {
  /** Real ids (sites, meetings) that a uuid field draws from most of the time. */
  uuids?: readonly string[];
  /** ISO instants for `z.iso.datetime` fields. */
  instants?: fc.Arbitrary<string>;
  /** Real unit codes for fields matching the unit-code pattern. */
  unitCodes?: readonly string[];
  /** Weight of a hostile value against 10 for a valid one, at every node (default 1). */
  hostileWeight?: number;
}

// ------------------------------------------------------------------------------------------------
// Hostile values
// ------------------------------------------------------------------------------------------------

/** Marks HTML injection: a page that echoes it unescaped has an XSS hole. */
export const HTML_MARKER = '<img src=x onerror=alert(1)>';

const nastyStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31mred\u001b[0m',
  '\r\n\r\nX-Injected: 1',
  '\t\n',
  'Hội nghị trực tuyến – Ủy ban nhân dân xã Hướng Hóa',
  'Ho\u0302\u0323i nghi\u0323', // decomposed Vietnamese (NFD)
  'مؤتمر عبر الإنترنت \u202Eevil\u202C',
  '🇻🇳🎥👩🏽‍💻',
  '\uD800',
  'x\uDC00y',
  '\uFEFF{"a":1}',
  '\uFFFF\uFFFE',
  "' OR 1=1 --",
  "'; DROP TABLE meetings; --",
  '" OR ""="',
  '%_\\%',
  '$1; select pg_sleep(5)',
  HTML_MARKER,
  '<script>alert(1)</script>',
  '"><svg onload=alert(1)>',
  'javascript:alert(1)',
  '{{7*7}}${7*7}',
  '__proto__',
  'constructor',
  'prototype',
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '%',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  'VN',
  '44',
  '00000',
  '2026-02-30T08:00:00+07:00',
  '2026-12-01T08:00:00',
  '2026-12-01T24:00:00+07:00',
  '+275760-09-13T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59+14:00',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

const edgeNumbers = [0, -0, 1, -1, 0.5, 1e-7, 2 ** 31, -(2 ** 31), 2 ** 53, -(2 ** 53), Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e21];

/** A key that has hurt JavaScript servers before. */
export const pollutionKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__');

function deep(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** Short text salted with the characters that break databases, terminals and parsers. */
const controlSalted = fc
  .array(fc.constantFrom('\u0000', '\u0001', '\u0008', '\u001b', '\u007f', '\u2028', '\uFEFF', '\uD800', 'a', 'ệ', ' ', '%', "'", '"', '\\'), {
    minLength: 1,
    maxLength: 12,
  })
  .map((chars) => chars.join(''));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...nastyStrings), weight: 6 },
  { arbitrary: controlSalted, weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.integer({ min: 300, max: 30_000 }).map((n) => 'ệ'.repeat(n)), weight: 1 },
);

/** Any JSON value a client could send in place of the expected one. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: fc.constantFrom<unknown>(null, true, false, ...edgeNumbers), weight: 2 },
  { arbitrary: fc.double(), weight: 1 },
  {
    arbitrary: fc.constantFrom<unknown>(
      [],
      {},
      [null],
      { __proto__: { admin: true } },
      JSON.parse('{"__proto__":{"polluted":1}}'),
      JSON.parse('{"constructor":{"prototype":{"polluted":1}}}'),
    ),
    weight: 1,
  },
  { arbitrary: fc.integer({ min: 1, max: 800 }).map((n) => deep(n, 'x')), weight: 1 },
  { arbitrary: fc.array(fc.constantFrom<unknown>('x', 1, null, {}), { maxLength: 5 }), weight: 1 },
  { arbitrary: fc.dictionary(fc.oneof(pollutionKey, fc.string({ maxLength: 8 })), fc.constantFrom<unknown>(1, 'x', null, {})), weight: 1 },
);

// ------------------------------------------------------------------------------------------------
// zod → arbitrary
// ------------------------------------------------------------------------------------------------

type Def = { type: string; [key: string]: any };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

const UNIT_CODE_SOURCE = '^(VN|\\d{2}|\\d{5})$';

/** Valid-shaped values for `schema`, mixed at every node with hostile ones. */
export function fromZod(schema: z.ZodType, hints: Hints = {}): fc.Arbitrary<unknown> {
  const hostile = hints.hostileWeight ?? 1;
  const node = (s: unknown): fc.Arbitrary<unknown> => {
    const valid = validOf(s);
    return hostile === 0 ? valid : fc.oneof({ arbitrary: valid, weight: 10 }, { arbitrary: hostileValue, weight: hostile });
  };

  const validOf = (s: unknown): fc.Arbitrary<unknown> => {
    const def = defOf(s);
    switch (def.type) {
      case 'string':
        return stringOf(s, def);
      case 'number': {
        const checks: Def[] = (def.checks ?? []).map(defOf);
        const int = checks.some((c) => c.check === 'number_format' && /int/.test(c.format));
        const min = checks.find((c) => c.check === 'greater_than')?.value ?? -1e6;
        const max = checks.find((c) => c.check === 'less_than')?.value ?? 1e6;
        const n = int ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
        // Query values arrive as strings; coerce schemas take either.
        return def.coerce ? fc.oneof(n, n.map(String)) : n;
      }
      case 'boolean':
        return fc.boolean();
      case 'enum':
        return fc.constantFrom(...Object.values(def.entries as Record<string, string>));
      case 'literal':
        return fc.constantFrom(...(def.values as unknown[]));
      case 'array': {
        const checks: Def[] = (def.checks ?? []).map(defOf);
        const minLength = checks.find((c) => c.check === 'min_length')?.minimum ?? 0;
        return fc.array(node(def.element), { minLength, maxLength: Math.max(minLength, 12) });
      }
      case 'optional':
        return fc.option(validOf(def.innerType), { nil: undefined, freq: 3 });
      case 'nullable':
        return fc.option(validOf(def.innerType), { nil: null, freq: 4 });
      case 'default':
        return fc.option(validOf(def.innerType), { nil: undefined, freq: 2 });
      case 'pipe': {
        // A pipe into a transform takes what its input takes (instant, normalised text); a
        // pipe into a checked schema takes what that schema takes (humanText's length limits).
        const out = defOf(def.out);
        return out.type === 'transform' ? validOf(def.in) : validOf(def.out);
      }
      case 'union':
        return fc.oneof(...(def.options as unknown[]).map(validOf));
      case 'object':
        return objectOf(def);
      default:
        throw new Error(`zod-arbitrary: no generator for zod type "${def.type}"`);
    }
  };

  const objectOf = (def: Def): fc.Arbitrary<unknown> => {
    const shape = def.shape as Record<string, unknown>;
    const fields = Object.fromEntries(Object.entries(shape).map(([key, s]) => [key, fc.option(node(s), { nil: undefined, freq: 8 })]));
    const extra = fc.option(fc.dictionary(fc.oneof(pollutionKey, fc.string({ maxLength: 12 })), hostileValue, { maxKeys: 3 }), { nil: undefined, freq: 6 });
    return fc.record({ fields: fc.record(fields), extra }).map(({ fields: f, extra: x }) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = v;
      // defineProperty, so that "__proto__" becomes an own key that JSON.stringify sends.
      if (x) for (const [k, v] of Object.entries(x)) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
      return out;
    });
  };

  const stringOf = (s: unknown, def: Def): fc.Arbitrary<string> => {
    const checks: Def[] = (def.checks ?? []).map(defOf);
    const format: string | undefined = def.format;
    if (format === 'uuid')
      return hints.uuids?.length ? fc.oneof({ arbitrary: fc.constantFrom(...hints.uuids), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 }) : fc.uuid();
    if (format === 'datetime')
      return hints.instants ?? fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    if (format === 'date')
      return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    if (format === 'email') return fc.emailAddress();
    const regex = checks.find((c) => c.check === 'string_format' && c.format === 'regex')?.pattern as RegExp | undefined;
    if (regex) {
      if (regex.source === UNIT_CODE_SOURCE && hints.unitCodes?.length)
        return fc.oneof({ arbitrary: fc.constantFrom(...hints.unitCodes), weight: 3 }, { arbitrary: fc.stringMatching(regex), weight: 1 });
      return fc.stringMatching(regex);
    }
    if (format) throw new Error(`zod-arbitrary: no generator for string format "${format}"`);
    const minLength = checks.find((c) => c.check === 'min_length')?.minimum ?? 0;
    const maxLength = Math.min(checks.find((c) => c.check === 'max_length')?.maximum ?? 200, 400);
    const text = fc.oneof(
      { arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength }), weight: 2 },
      { arbitrary: fc.constantFrom('Giao ban tháng 12', 'Hội nghị triển khai Nghị quyết 18-NQ/TW', 'Quảng Trị', 'Hướng Hóa', 'xã', 'hall'), weight: 2 },
    );
    return text.filter((t) => t.length >= minLength && t.length <= maxLength && (s as z.ZodType).safeParse(t).success);
  };

  return node(schema);
}
