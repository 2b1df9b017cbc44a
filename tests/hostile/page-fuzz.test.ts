/**
 * Page fuzzing: the server-rendered pages and their forms get the same treatment as the API
 * (tests/hostile/api-fuzz.test.ts): FUZZ_RUNS generated requests each, hostile form fields,
 * broken multipart bodies, prototype keys, hostile path parameters. No answer is a 5xx, no
 * page echoes injected HTML unescaped, and a refusal that is JSON has the error shape (pages
 * may also refuse with an HTML page that explains); enough requests are accepted (a page or
 * the redirect after a form) that a route refusing everything fails.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { assertEnoughAccepted, minimumAccepted } from './fuzz-harness.ts';
import { createFuzzFixture, fuzzRoute, PAGE_ROUTES, RUNS, type FuzzFixture } from './fuzz-routes.ts';

describe(`page fuzzing, ${RUNS} runs per route (PGlite)`, () => {
  let fx: FuzzFixture;
  beforeAll(async () => {
    fx = await createFuzzFixture();
  }, 600_000);
  afterAll(() => fx?.t.close());

  for (const [name, build] of Object.entries(PAGE_ROUTES))
    it(name, async () => {
      const route = build(fx);
      const classes = await fuzzRoute(fx, route);
      process.stdout.write(`${name.padEnd(44)} ${JSON.stringify(classes)}\n`);
      assertEnoughAccepted(name, classes, minimumAccepted(route.minAccepted, RUNS));
    }, 600_000);
});
