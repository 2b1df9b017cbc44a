/**
 * The fuzz harness checks itself: a route whose generator never produces acceptable input must
 * fail the "got past validation" check, and a working generator must pass it. Without this, a
 * broken generator would make the API fuzz tests pass vacuously, every request refused at the
 * door.
 */
import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assertEnoughAccepted, minimumAccepted, runFuzz, type FuzzTarget } from './fuzz-harness.ts';

const greeting = z.object({ name: z.string().min(1).max(20) }).strict();
const errorJson = (message: string) => ({ error: { code: 'validation_failed', message } });
const app = new Hono().post('/greet', async (c) => {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    return c.json(errorJson('Malformed JSON body'), 400);
  }
  const parsed = greeting.safeParse(raw);
  if (!parsed.success) return c.json(errorJson('Invalid input'), 422);
  return c.json({ greeting: `Xin chào ${parsed.data.name}` });
});
const request = (path: string, init: RequestInit) => app.request(path, init);

const target = (body: fc.Arbitrary<unknown>): FuzzTarget => ({
  method: 'POST',
  kind: 'api',
  path: fc.constant('/greet'),
  body: body.map((value) => ({ contentType: 'application/json', body: JSON.stringify(value) })),
  ok: z.object({ greeting: z.string() }).strict(),
});
const RUNS = 200;

describe('fuzz harness: requests that get past validation', () => {
  it('fails a route whose generator only produces refused input', async () => {
    // Deliberately broken: the field is misspelt, so the strict schema refuses every body.
    const broken = target(fc.record({ nmae: fc.string({ minLength: 1, maxLength: 5 }) }));
    const classes = await runFuzz(request, broken, { runs: RUNS, seed: 1 });
    expect(classes).toEqual({ '4xx': RUNS });
    expect(() => assertEnoughAccepted('POST /greet', classes, minimumAccepted(0.1, RUNS))).toThrow(
      /only 0 generated request\(s\) got past validation, expected at least 20/,
    );
  });

  it('passes a route whose generator reaches the handler, and still fails it when the minimum is above what it reaches', async () => {
    const working = target(fc.oneof(fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }) }), fc.record({ nmae: fc.string() })));
    const classes = await runFuzz(request, working, { runs: RUNS, seed: 1 });
    const accepted = classes['2xx'] ?? 0;
    expect(accepted).toBeGreaterThan(0);
    expect(() => assertEnoughAccepted('POST /greet', classes, minimumAccepted(0.1, RUNS))).not.toThrow();
    expect(() => assertEnoughAccepted('POST /greet', classes, accepted + 1)).toThrow(/got past validation/);
  });

  it('asks for at least one accepted request whenever a share is set, however short the run', () => {
    expect(minimumAccepted(0.001, 10)).toBe(1);
    expect(minimumAccepted(0.5, 1000)).toBe(500);
    expect(minimumAccepted(0, 1000)).toBe(0);
  });
});
