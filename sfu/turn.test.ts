/**
 * TURN configuration at its boundary: URLs and secret go together, URLs must be TURN URLs, and
 * the minted credential is coturn's use-auth-secret pair with the configured lifetime. (That
 * coturn accepts it is proved by the browser test web/conference/reach.browser.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { SfuEnv, sfuConfigFromEnv } from './config.ts';
import { turnIceServers } from './turn.ts';

const secret = 'a-shared-secret-of-some-length';

describe('TURN configuration', () => {
  it('needs TURN_URLS and TURN_SECRET together, and TURN URLs only', () => {
    const issues = (env: Record<string, string>) => {
      const r = SfuEnv.safeParse(env);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ TURN_URLS: 'turns:turn.example.vn:443?transport=tcp' })).toEqual(['TURN_SECRET: TURN_URLS and TURN_SECRET must be set together']);
    expect(issues({ TURN_SECRET: secret })).toEqual(['TURN_SECRET: TURN_URLS and TURN_SECRET must be set together']);
    expect(issues({ TURN_URLS: 'https://turn.example.vn', TURN_SECRET: secret })[0]).toMatch(/^TURN_URLS\.0: a turn: or turns: URL/);
    expect(issues({ TURN_URLS: 'turns:turn.example.vn:443?transport=tcp', TURN_SECRET: 'short' })[0]).toMatch(/^TURN_SECRET:/);
    expect(issues({})).toEqual([]);
  });

  it('mints a credential per site that expires after the configured lifetime', () => {
    const config = sfuConfigFromEnv(
      SfuEnv.parse({
        TURN_URLS: 'turns:turn.example.vn:443?transport=tcp, turn:turn.example.vn:3478',
        TURN_SECRET: secret,
        TURN_CREDENTIAL_TTL_SECONDS: '600',
      }),
    );
    const now = Date.UTC(2026, 11, 1, 1, 0, 0);
    const [server, ...rest] = turnIceServers(config.turn, 'site-1', now);
    expect(rest).toEqual([]);
    expect(server!.urls).toEqual(['turns:turn.example.vn:443?transport=tcp', 'turn:turn.example.vn:3478']);
    expect(server!.username).toBe(`${now / 1000 + 600}:site-1`);
    // base64 of a 20-byte HMAC-SHA1, different for another site
    expect(server!.credential).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    expect(turnIceServers(config.turn, 'site-2', now)[0]!.credential).not.toBe(server!.credential);
    expect(turnIceServers(sfuConfigFromEnv(SfuEnv.parse({})).turn, 'site-1', now)).toEqual([]);
  });
});
