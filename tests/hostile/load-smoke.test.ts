/**
 * A few seconds of the load harness behind `npm run bench:api`, so that it cannot rot: 20
 * connections for 2 s on each read endpoint and a 20-site join storm through the real SFU,
 * with zero errors and zero non-2xx answers. No time is asserted; the bench prints the figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEndpoints, runLoad, startLoadTarget, type LoadTarget } from '../bench/api-load.ts';

describe('load smoke (PGlite, real SFU)', () => {
  let target: LoadTarget;
  beforeAll(async () => {
    target = await startLoadTarget({ provinces: ['44'], sites: 20 });
  }, 300_000);
  afterAll(() => target?.close());

  it('serves the read endpoints under 20 connections without an error', async () => {
    for (const { name, path } of readEndpoints(target)) {
      const result = await runLoad({
        kind: 'http',
        url: `${target.url}${path}`,
        connections: 20,
        durationSeconds: 2,
        timeoutSeconds: 10,
        headers: { cookie: target.cookie },
      });
      expect(result.requests, name).toBeGreaterThan(0);
      expect({ name, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }).toEqual({ name, errors: 0, timeouts: 0, non2xx: 0 });
    }
  });

  it('lets 20 sites join one meeting within 2 s over /ws', async () => {
    const storm = await runLoad({ kind: 'join', url: target.url, origin: target.url, tokens: target.joinTokens, windowMs: 2000, timeoutMs: 30_000 });
    expect(storm.errors).toEqual([]);
    expect(storm.joined).toBe(20);
  });
});
