/**
 * API fuzzing, JSON routes: every route gets FUZZ_RUNS (default 1,000) generated requests with
 * a fixed seed (FUZZ_SEED), signed in with the role that may use it. Inputs come from the
 * route's own zod schemas (valid-shaped values mixed with hostile ones at every node) plus
 * hostile path parameters, query strings, malformed JSON, wrong content types and oversized
 * bodies. Every answer is below 500; every refusal is `{ error: { code, message } }` with a
 * short readable message; every success has the shape the API promises (the routes' own
 * response schemas); and enough requests get past validation (each route's minAccepted), so a
 * route that refuses everything fails.
 * PGlite only: the point is the HTTP surface, which is the same on both drivers.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { assertEnoughAccepted, minimumAccepted } from './fuzz-harness.ts';
import { API_ROUTES, createFuzzFixture, fuzzRoute, RUNS, type FuzzFixture } from './fuzz-routes.ts';

describe(`API fuzzing, ${RUNS} runs per route (PGlite)`, () => {
  let fx: FuzzFixture;
  beforeAll(async () => {
    fx = await createFuzzFixture();
  }, 600_000);
  afterAll(() => fx?.t.close());

  for (const [name, build] of Object.entries(API_ROUTES))
    it(name, async () => {
      const route = build(fx);
      const classes = await fuzzRoute(fx, route);
      process.stdout.write(`${name.padEnd(44)} ${JSON.stringify(classes)}\n`);
      assertEnoughAccepted(name, classes, minimumAccepted(route.minAccepted, RUNS));
    }, 600_000);
});
