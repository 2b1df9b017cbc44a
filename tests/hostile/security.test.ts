/**
 * Security promises, through the public surface. What api/auth/auth.test.ts and
 * api/conference/service.test.ts already prove (API sign-in cookie flags and rotation, the
 * API limiter's 429, tampered / expired / other-meeting join links, a removed site kicked) is
 * not repeated; this file adds the rest:
 *  - every state-changing form and API route refuses a cross-site request, and changes nothing;
 *  - the sign-in page's cookie has the same flags, rotates at sign-in and dies at sign-out;
 *  - sign-in limits hold across the page and the API, against spraying many e-mails, and
 *    against a forged X-Forwarded-For behind the proxy;
 *  - every page, error pages included, carries the security headers and a CSP that its own
 *    markup does not break (no inline scripts, handlers or styles);
 *  - cancelling a meeting disconnects its sites within 2 s and kills their links; a readiness
 *    link cannot join;
 *  - no token, link or sign-in id is ever written to the logs.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendResult } from '../../api/invites/mail-transport.ts';
import type { OutgoingMail } from '../../api/invites/email.ts';
import { InviteDispatcher, dispatcherOptionsFrom } from '../../api/invites/dispatcher.ts';
import { mintMeetingTokens } from '../../api/invites/site-tokens.ts';
import { CloseCode } from '../../sfu/protocol.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../support/app.ts';
import { startLiveTestServer, type LiveTestServer } from '../support/live.ts';
import { closedWithin, TestSocket } from '../support/signaling-client.ts';

const PASSWORD = 'correct horse battery';
const EVIL = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function scheduleMeeting(t: TestApp, options: { startsAt?: Date; sites?: number } = {}) {
  const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
  const hall = sites.find((s) => s.kind === 'hall')!.id;
  const communes = sites.filter((s) => s.kind === 'commune').map((s) => s.id);
  const startsAt = options.startsAt ?? new Date(t.ctx.now().getTime() + 86_400_000 + Math.floor(Math.random() * 1000) * 3600_000);
  const response = await t.request('POST', '/api/meetings', {
    cookie: t.cookies.secretariat,
    body: {
      title: 'Hội nghị bảo mật',
      hostSiteId: hall,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 2 * 3600_000).toISOString(),
      siteIds: communes.slice(0, options.sites ?? 3),
      allowConflicts: true,
    },
  });
  expect(response.status).toBe(201);
  return response.body as { id: string; endsAt: string; participants: { siteId: string; role: string }[] };
}

const communesOf = (meeting: { participants: { siteId: string; role: string }[] }) =>
  meeting.participants.filter((p) => p.role === 'participant').map((p) => p.siteId);

describe('security (PGlite)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Behind a trusted https proxy, the way production runs; requests choose their address
    // with X-Forwarded-For so that the limiter's budgets of different tests stay apart.
    t = await createTestApp('pglite', { provinces: ['44'], config: { TRUST_PROXY: 'true', LOGIN_MAX_ATTEMPTS: '3' } });
  }, 300_000);
  afterAll(() => t?.close());

  describe('cross-site requests', () => {
    it('refuses a cross-site post to every form, and the post changes nothing', async () => {
      const meeting = await scheduleMeeting(t);
      const { readiness } = await mintMeetingTokens(t.database.db, {
        meetingId: meeting.id,
        siteId: communesOf(meeting)[0]!,
        expiresAt: new Date(meeting.endsAt),
        purposes: ['readiness'],
      });
      const posts: [string, string | null, Record<string, string>][] = [
        ['/login', null, { email: 'admin@test.hoinghi', password: PASSWORD }],
        ['/logout', t.cookies.secretariat, {}],
        [
          '/meetings/new',
          t.cookies.secretariat,
          { title: 'Cross-site', hostSiteId: meeting.participants[0]!.siteId, date: '2026-12-20', startTime: '08:00', endTime: '09:00', unitCodes: '44' },
        ],
        [`/meetings/${meeting.id}/cancel`, t.cookies.secretariat, {}],
        [`/meetings/${meeting.id}/invites/resend`, t.cookies.secretariat, {}],
        [`/ready/${readiness}`, null, { answer: 'declined', reason: 'forged' }],
      ];
      for (const [path, cookie, fields] of posts) {
        for (const contentType of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
          const body = contentType.startsWith('multipart') ? `--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n` : form(fields);
          const response = await t.app.request(path, {
            method: 'POST',
            headers: { ...EVIL, 'content-type': contentType, ...(cookie ? { cookie } : {}) },
            body,
          });
          expect(response.status, `${path} ${contentType}`).toBe(403);
          // A page's refusal is a page (server/app.ts), in Vietnamese.
          expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
          expect(await response.text()).toContain('Không có quyền truy cập');
        }
      }
      // Nothing happened: the meeting is still on, no answer was recorded, the sign-in lives.
      expect((await t.request('GET', `/api/meetings/${meeting.id}`, { cookie: t.cookies.leader })).body.status).toBe('scheduled');
      expect((await t.request('GET', `/api/meetings/${meeting.id}/invites`, { cookie: t.cookies.leader })).body.summary.declined).toBe(0);
      expect((await t.request('GET', '/api/auth/me', { cookie: t.cookies.secretariat })).status).toBe(200);
    });

    it('refuses the JSON API from another site in the forms a browser can send without asking, and grants no CORS', async () => {
      const meeting = await scheduleMeeting(t);
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
        const response = await t.app.request(`/api/meetings/${meeting.id}/cancel`, {
          method: 'POST',
          headers: { ...EVIL, 'content-type': contentType, cookie: t.cookies.secretariat },
          body: '{}',
        });
        expect(response.status).toBe(403);
      }
      // A cross-site JSON request needs a preflight, which is never granted.
      const preflight = await t.app.request(`/api/meetings/${meeting.id}/cancel`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
      expect((await t.request('GET', `/api/meetings/${meeting.id}`, { cookie: t.cookies.leader })).body.status).toBe('scheduled');
    });
  });

  describe('sign-ins from the sign-in page', () => {
    const pageLogin = (headers: Record<string, string> = {}, email = 'leader@test.hoinghi') =>
      t.app.request('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', 'x-forwarded-for': '198.51.100.7', ...headers },
        body: form({ email, password: PASSWORD }),
      });
    const sessionOf = (response: Response) => response.headers.get('set-cookie')!.split(';')[0]!;

    it('sets HttpOnly, SameSite=Lax and Path=/, and Secure only when the proxy says https', async () => {
      const plain = await pageLogin();
      expect(plain.status).toBe(303);
      const cookie = plain.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^hoinghi_signin=[A-Za-z0-9_-]{43};/);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Path=\//);
      expect(cookie).not.toMatch(/Secure/);
      // Lifetime as Max-Age, counted on the browser's clock: a PC whose clock is hours off (or a
      // test whose server clock is fixed) keeps the cookie; an absolute Expires would drop it.
      expect(cookie).toMatch(new RegExp(`Max-Age=${t.ctx.config.SIGN_IN_TTL_HOURS * 3600}(;|$)`));
      expect(cookie).not.toMatch(/Expires=/);
      const https = await pageLogin({ 'x-forwarded-proto': 'https' });
      expect(https.headers.get('set-cookie')).toMatch(/; Secure/);
      // The sign-out cookie that clears it carries the same flags, so the browser replaces it.
      const out = await t.app.request('/logout', {
        method: 'POST',
        headers: { origin: 'http://localhost', 'x-forwarded-proto': 'https', cookie: sessionOf(https) },
      });
      expect(out.headers.get('set-cookie')).toMatch(/hoinghi_signin=;.*Max-Age=0/);
      expect(out.headers.get('set-cookie')).toMatch(/HttpOnly.*Secure|Secure.*HttpOnly/);
    });

    it('issues a new sign-in id at sign-in, kills the one presented, and kills it at sign-out', async () => {
      const first = sessionOf(await pageLogin());
      expect((await t.request('GET', '/api/auth/me', { cookie: first })).status).toBe(200);
      // Signing in again from a browser that still holds the first id (fixation): new id, old dead.
      const second = sessionOf(await pageLogin({ cookie: first }));
      expect(second).not.toBe(first);
      expect((await t.request('GET', '/api/auth/me', { cookie: first })).status).toBe(401);
      expect((await t.request('GET', '/api/auth/me', { cookie: second })).status).toBe(200);
      expect((await t.app.request('/logout', { method: 'POST', headers: { origin: 'http://localhost', cookie: second } })).status).toBe(303);
      expect((await t.request('GET', '/api/auth/me', { cookie: second })).status).toBe(401);
      // A dead id opens no page either: back to the sign-in page.
      const page = await t.app.request('/', { headers: { cookie: second } });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toMatch(/^\/login/);
    });
  });

  describe('sign-in limits', () => {
    const apiLogin = (address: string, email: string, password = 'wrong password') =>
      t.request('POST', '/api/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': address } });
    const pageLogin = (address: string, email: string, password = 'wrong password') =>
      t.app.request('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', 'x-forwarded-for': address },
        body: form({ email, password }),
      });

    it('counts failures on the page and the API against one budget, and says when to come back', async () => {
      const address = '203.0.113.10';
      expect((await apiLogin(address, 'leader@test.hoinghi')).status).toBe(401);
      expect((await pageLogin(address, 'leader@test.hoinghi')).status).toBe(401);
      expect((await apiLogin(address, 'leader@test.hoinghi')).status).toBe(401);
      const limited = await pageLogin(address, 'leader@test.hoinghi', PASSWORD);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await limited.text()).toMatch(/<form/); // the page, with the reason, not a bare error
      expect((await apiLogin(address, 'leader@test.hoinghi', PASSWORD)).status).toBe(429);
      // The account's budget holds whatever address the next attempt comes from.
      expect((await apiLogin('203.0.113.11', 'leader@test.hoinghi', PASSWORD)).status).toBe(429);
      // Another account from the same client is not locked out by this one.
      expect((await apiLogin(address, 'admin@test.hoinghi', PASSWORD)).status).toBe(200);
    });

    it('stops one client spraying a password over many e-mails', async () => {
      const address = '203.0.113.20';
      // 10x the per-account budget per client: 30 failures, each for a different e-mail.
      for (let i = 0; i < 30; i++) expect((await apiLogin(address, `user${i}@test.hoinghi`)).status).toBe(401);
      expect((await apiLogin(address, 'user99@test.hoinghi')).status).toBe(429);
    });

    it('does not let a client escape the limit by forging X-Forwarded-For behind the proxy', async () => {
      // The proxy appends the real address (192.0.2.1); the client controls what comes before it.
      const forged = (i: number) => `10.0.${i}.${i}, 192.0.2.1`;
      for (let i = 0; i < 3; i++) expect((await apiLogin(forged(i), 'secretariat@test.hoinghi')).status).toBe(401);
      expect((await apiLogin(forged(99), 'secretariat@test.hoinghi', PASSWORD)).status).toBe(429);
    });
  });

  describe('security headers', () => {
    const HTML_BREAKING_CSP = [
      [/<script\b(?![^>]*\bsrc=)[^>]*>/i, 'an inline <script>'],
      [/\son[a-z]+\s*=/i, 'an inline event handler'],
      [/\sstyle\s*=/i, 'an inline style attribute'],
      [/<style\b/i, 'an inline <style> element'],
      [/(href|src|action)\s*=\s*"(?:https?:)?\/\/(?!localhost)/i, 'a resource from another site'],
    ] as const;

    function checkHeaders(path: string, response: Response, body: string): string[] {
      const problems: string[] = [];
      const header = (name: string) => response.headers.get(name) ?? '';
      const csp = header('content-security-policy');
      for (const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
      ]) {
        if (!csp.includes(directive)) problems.push(`${path}: CSP lacks ${directive}`);
      }
      if (/unsafe-inline|unsafe-eval/.test(csp)) problems.push(`${path}: CSP allows unsafe-*`);
      if (header('x-content-type-options') !== 'nosniff') problems.push(`${path}: no nosniff`);
      if (!/^(DENY|SAMEORIGIN)$/.test(header('x-frame-options'))) problems.push(`${path}: no X-Frame-Options`);
      if (!/^(same-origin|no-referrer|strict-origin)/.test(header('referrer-policy'))) problems.push(`${path}: Referrer-Policy ${header('referrer-policy')}`);
      if (!header('strict-transport-security').includes('max-age=')) problems.push(`${path}: no HSTS`);
      if (/^\/(join|ready)\//.test(path) && header('referrer-policy') !== 'no-referrer')
        problems.push(`${path}: a page with a secret in its URL must not send a Referer`);
      if (/text\/html/.test(header('content-type'))) {
        for (const [pattern, what] of HTML_BREAKING_CSP)
          if (pattern.test(body)) problems.push(`${path}: ${what} (${pattern.exec(body)![0]}) that the CSP blocks or forbids`);
      }
      return problems;
    }

    it('sends them on every page reachable from the start pages, error pages and the 404 included', async () => {
      const meeting = await scheduleMeeting(t);
      const site = communesOf(meeting)[0]!;
      const tokens = await mintMeetingTokens(t.database.db, {
        meetingId: meeting.id,
        siteId: site,
        expiresAt: new Date(meeting.endsAt),
        purposes: ['join', 'readiness'],
      });
      const expired = await mintMeetingTokens(t.database.db, {
        meetingId: meeting.id,
        siteId: site,
        expiresAt: new Date(TEST_NOW.getTime() - 1000),
        purposes: ['join', 'readiness'],
      });
      const visits: { path: string; cookie?: string | undefined; expect?: number }[] = [
        ...[
          '/',
          '/meetings/new',
          `/meetings/${meeting.id}`,
          `/meetings/${meeting.id}/invites`,
          `/meetings/${meeting.id}/attendance`,
          `/meetings/${meeting.id}/live`,
          '/reports',
          '/mail',
        ].map((path) => ({ path, cookie: t.cookies.secretariat })),
        { path: '/login' },
        { path: `/join/${tokens.join}`, expect: 200 },
        { path: `/ready/${tokens.readiness}`, expect: 200 },
        { path: `/join/${expired.join}`, expect: 410 },
        { path: `/ready/${expired.readiness}`, expect: 410 },
        { path: '/join/not-a-token', expect: 404 },
        { path: '/', expect: 303 },
        { path: '/meetings/new', cookie: t.cookies.leader, expect: 403 },
        { path: `/meetings/${randomUUID()}`, cookie: t.cookies.leader, expect: 404 },
        { path: '/meetings/not-a-uuid', cookie: t.cookies.leader, expect: 404 },
        { path: '/mail/..%2F..%2Fetc%2Fpasswd', cookie: t.cookies.secretariat, expect: 404 },
        { path: '/no/such/page', expect: 404 },
        // Unknown API routes say 401 to strangers (nothing about which routes exist), 404 to users.
        { path: '/api/no/such/route', expect: 401 },
        { path: '/api/no/such/route', cookie: t.cookies.leader, expect: 404 },
        { path: '/static/nothing.js', expect: 404 },
      ];
      const seen = new Set<string>();
      const problems: string[] = [];
      while (visits.length && seen.size < 200) {
        const visit = visits.shift()!;
        const key = `${visit.cookie ?? ''} ${visit.path}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const response = await t.app.request(visit.path, { headers: visit.cookie ? { cookie: visit.cookie } : {} });
        const body = await response.text();
        if (visit.expect !== undefined) expect(response.status, visit.path).toBe(visit.expect);
        else expect(response.status, visit.path).toBeLessThan(400);
        problems.push(...checkHeaders(visit.path, response, body));
        // Crawl: every same-site link and asset on the page, as the same user.
        if (/text\/html/.test(response.headers.get('content-type') ?? '')) {
          for (const [, target] of body.matchAll(/\s(?:href|src)="([^"#]+)"/g)) {
            const url = new URL(target!.replaceAll('&amp;', '&'), `http://localhost${visit.path}`);
            if (url.origin !== 'http://localhost' || url.pathname === '/logout') continue;
            // The same page in another language answers as the page did (a 410 link stays 410).
            const sameRoute = url.pathname === new URL(visit.path, 'http://localhost').pathname;
            visits.push({
              path: `${url.pathname}${url.search}`,
              cookie: visit.cookie,
              ...(sameRoute && visit.expect !== undefined ? { expect: visit.expect } : {}),
            });
          }
        }
      }
      expect(seen.size).toBeGreaterThan(25);
      expect([...seen].some((k) => k.includes('/static/'))).toBe(true);
      expect(problems).toEqual([]);
    });

    it('sends them on a 500 too, whose body leaks nothing', async () => {
      const db = t.ctx.db;
      // A database that fails under the sign-in look-up: an error no route expects.
      t.ctx.db = new Proxy(db, {
        get: () => () => {
          throw new Error('connection to server lost: secret detail');
        },
      });
      try {
        const response = await t.app.request('/', { headers: { cookie: t.cookies.leader } });
        const body = await response.text();
        expect(response.status).toBe(500);
        expect(body).not.toMatch(/secret detail|connection|at /);
        expect(checkHeaders('/ (500)', response, body)).toEqual([]);
      } finally {
        t.ctx.db = db;
      }
    });
  });
});

/** A mail transport that keeps every message in memory, so the test can read the links. */
function memoryTransport() {
  const messages: OutgoingMail[] = [];
  let failures = 1;
  return {
    messages,
    async send(message: OutgoingMail): Promise<SendResult> {
      // The first send fails like a dropped connection, so the retry path logs too.
      if (failures-- > 0) throw Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' });
      messages.push(message);
      return { messageId: `<${randomUUID()}@test>`, accepted: [String(message.to)], rejected: [] };
    },
    async close() {},
  };
}

describe('live links and logs (real SFU)', () => {
  let live: LiveTestServer;
  const logLines: string[] = [];
  const sockets: TestSocket[] = [];
  const open = async (headers?: Record<string, string>) => {
    const socket = await TestSocket.open(live.url, headers);
    sockets.push(socket);
    return socket;
  };
  const tokenOf = (link: string) => link.split('/join/')[1]!;

  beforeAll(async () => {
    // Every line at every level, from the first sign-in of createTestApp on.
    live = await startLiveTestServer('pglite', {
      provinces: ['44'],
      config: { LOG_LEVEL: 'trace' },
      logDestination: { write: (line: string) => void logLines.push(line) },
    });
  }, 300_000);
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await live?.close();
  });

  it('disconnects every site within 2 s when the meeting is cancelled, and their links die', async () => {
    const meeting = await scheduleMeeting(live.t, { startsAt: new Date(Date.now() + 60_000) });
    const links = await Promise.all(communesOf(meeting).map((site) => live.joinLink(meeting.id, site, new Date(meeting.endsAt))));
    const joined = [];
    for (const link of links) {
      const socket = await open();
      expect((await socket.request('join', { joinToken: tokenOf(link) })).ok).toBe(true);
      joined.push(socket);
    }
    const host = await open({ cookie: live.t.cookies.secretariat });
    expect((await host.request('join', { meetingId: meeting.id })).ok).toBe(true);

    expect((await live.t.request('POST', `/api/meetings/${meeting.id}/cancel`, { cookie: live.t.cookies.secretariat, body: { reason: 'Hoãn' } })).status).toBe(
      200,
    );
    const closed = await Promise.all([...joined, host].map((s) => closedWithin(s, 2000)));
    expect(closed).toEqual([...joined, host].map(() => ({ code: CloseCode.kicked })));

    for (const link of links) {
      const again = await open();
      expect((await again.request('join', { joinToken: tokenOf(link) })).ok).toBe(false);
      expect((await fetch(link)).status).toBe(410);
    }
    // Nor can the host console reopen a cancelled meeting.
    const hostAgain = await open({ cookie: live.t.cookies.secretariat });
    expect((await hostAgain.request('join', { meetingId: meeting.id })).error!.code).toBe('forbidden');
  });

  it('does not let a readiness link, or a link cut or padded, join', async () => {
    const meeting = await scheduleMeeting(live.t, { startsAt: new Date(Date.now() + 60_000) });
    const { readiness, join } = await mintMeetingTokens(live.t.database.db, {
      meetingId: meeting.id,
      siteId: communesOf(meeting)[0]!,
      expiresAt: new Date(meeting.endsAt),
      purposes: ['join', 'readiness'],
    });
    for (const token of [readiness, join.slice(0, -1), `${join}A`, join.toUpperCase(), ` ${join}`, `${join}\u0000`]) {
      const reply = await (await open()).request('join', { joinToken: token });
      expect(reply.ok, token).toBe(false);
      expect(reply.error!.code).toBe('unauthorized');
    }
    expect((await (await open()).request('join', { joinToken: join })).ok).toBe(true);
  });

  it('closes a socket that keeps guessing links', async () => {
    const socket = await open();
    for (let i = 0; i < 5; i++) expect((await socket.request('join', { joinToken: `${'A'.repeat(42)}${i}` })).ok).toBe(false);
    expect(await closedWithin(socket, 2000)).toEqual({ code: CloseCode.unauthorized });
  });

  it('never writes a token, a link or a sign-in id to the logs', async () => {
    const t = live.t;
    const secrets = new Map<string, string>(Object.entries(t.cookies).map(([role, cookie]) => [`${role} session`, cookie.split('=')[1]!]));
    const remember = (what: string, value: string | undefined) => {
      expect(value, what).toBeTruthy();
      secrets.set(what, value!);
    };
    const sessionValue = (response: Response | { headers: Headers }) => response.headers.get('set-cookie')!.split(';')[0]!.split('=')[1]!;

    // Sign-ins through the API and the page, a failed one, sign-outs.
    const apiLogin = await t.request('POST', '/api/auth/login', { body: { email: 'leader@test.hoinghi', password: PASSWORD } });
    remember('API sign-in session', sessionValue(apiLogin));
    const pageLogin = await fetch(`${live.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: live.url },
      body: form({ email: 'admin@test.hoinghi', password: PASSWORD }),
    });
    remember('page sign-in session', sessionValue(pageLogin));
    await t.request('POST', '/api/auth/login', { body: { email: 'leader@test.hoinghi', password: `${PASSWORD}!` } });
    await fetch(`${live.url}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: live.url, cookie: `hoinghi_signin=${secrets.get('page sign-in session')}` },
    });

    // A meeting whose invitations go out, one send failing first; the links come from the messages.
    const meeting = await scheduleMeeting(t, { startsAt: new Date(Date.now() + 60_000) });
    const transport = memoryTransport();
    const dispatcher = new InviteDispatcher({
      ctx: t.ctx,
      transport,
      outbox: t.services.invites,
      options: { ...dispatcherOptionsFrom(t.ctx.config), backoff: { baseMs: 0, maxMs: 0 } },
    });
    await dispatcher.drain();
    await dispatcher.drain();
    await dispatcher.close();
    const linkTokens = transport.messages.flatMap((m) =>
      [...JSON.stringify(m).matchAll(/\/(join|ready)\/([A-Za-z0-9_-]{43})/g)].map((match) => [match[1]!, match[2]!] as const),
    );
    expect(linkTokens.length).toBeGreaterThanOrEqual(2 * 3);
    linkTokens.forEach(([purpose, token], i) => remember(`${purpose} link ${i}`, token));
    const join = linkTokens.find(([purpose]) => purpose === 'join')![1];
    const ready = linkTokens.find(([purpose]) => purpose === 'ready')![1];

    // The commune opens its links, answers, and joins; broken and hostile variants too.
    expect((await fetch(`${live.url}/ready/${ready}`)).status).toBe(200);
    expect(
      (
        await fetch(`${live.url}/ready/${ready}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: live.url },
          body: form({ answer: 'attending', delegateName: 'Chủ tịch UBND xã' }),
        })
      ).status,
    ).toBe(303);
    expect((await fetch(`${live.url}/join/${join}`)).status).toBe(200);
    await fetch(`${live.url}/join/${join}x`);
    // A participant's link (the host hall's invitation carries one too).
    let site!: TestSocket;
    let siteId = '';
    for (const [purpose, token] of linkTokens) {
      if (purpose !== 'join' || siteId) continue;
      const socket = await open();
      const reply = await socket.request('join', { joinToken: token });
      expect(reply.ok).toBe(true);
      // The dispatcher also sent the other tests' meetings; take a participant of this one.
      if (reply.data.role === 'participant' && reply.data.meetingId === meeting.id) [site, siteId] = [socket, reply.data.siteId];
    }
    const stranger = await open();
    await stranger.request('join', { joinToken: `${join.slice(0, -1)}Z` });
    stranger.ws.send(JSON.stringify({ id: 1, type: 'no-such-request', data: { joinToken: join } }));
    stranger.ws.send(`{"id":2,"type":"join","data":{"joinToken":${JSON.stringify(join)},"extra":`);
    const host = await open({ cookie: t.cookies.secretariat });
    expect((await host.request('join', { meetingId: meeting.id })).ok).toBe(true);

    // A calendar subscription: minted, fetched, rotated.
    const feed = await t.request('POST', `/api/sites/${communesOf(meeting)[0]}/calendar-token`, { cookie: t.cookies.secretariat, body: { rotate: true } });
    const feedToken = new URL(feed.body.url).searchParams.get('token')!;
    remember('calendar token', feedToken);
    const ics = await (await fetch(feed.body.url)).text();
    [...ics.replace(/\r\n /g, '').matchAll(/\/(join|ready)\/([A-Za-z0-9_-]{43})/g)].forEach((m, i) => remember(`calendar ${m[1]} link ${i}`, m[2]));
    await fetch(`${live.url}/calendar/sites/${communesOf(meeting)[0]}.ics?token=${feedToken}x`);

    // The site is removed (kicked), then the meeting cancelled: the revocation paths log too.
    const removed = await t.request('PATCH', `/api/meetings/${meeting.id}`, { cookie: t.cookies.secretariat, body: { removeSiteIds: [siteId] } });
    expect(removed.body).toMatchObject({ participantCount: meeting.participants.length - 1 });
    expect(await closedWithin(site, 2000)).toEqual({ code: CloseCode.kicked });
    await t.request('POST', `/api/meetings/${meeting.id}/cancel`, { cookie: t.cookies.secretariat, body: {} });
    await fetch(`${live.url}/ready/${ready}`);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const logs = logLines.join('');
    // The logs are there and say what happened; only the secrets are missing.
    expect(logLines.length).toBeGreaterThan(20);
    for (const event of ['signed in', 'meeting scheduled', 'joined', 'invitation will be retried', 'calendar subscription link issued'])
      expect(logs).toContain(event);
    const leaked = [...secrets].filter(([, secret]) => logs.includes(secret)).map(([what]) => what);
    expect(leaked).toEqual([]);
  });
});
