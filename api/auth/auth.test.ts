import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIns, users } from '../../db/schema.ts';
import { forgetSignIns } from './sign-ins.ts';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';

describe.each(DRIVERS)('accounts and sessions on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44'], config: { LOGIN_MAX_ATTEMPTS: '3' } });
  });
  afterAll(() => t.close());

  it('sets an HttpOnly SameSite cookie, issues a new id at every sign-in and kills it at sign-out', async () => {
    const login = () => t.request('POST', '/api/auth/login', { body: { email: 'SECRETARIAT@test.hoinghi', password: 'correct horse battery' } });
    const first = await login();
    expect(first.status).toBe(200);
    const setCookie = first.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i);
    const cookie = setCookie.split(';')[0]!;
    const second = (await login()).headers.get('set-cookie')!.split(';')[0]!;
    expect(second).not.toBe(cookie);

    expect((await t.request('GET', '/api/auth/me', { cookie })).body.user.email).toBe('secretariat@test.hoinghi');
    expect((await t.request('POST', '/api/auth/logout', { cookie, body: {} })).status).toBe(204);
    expect((await t.request('GET', '/api/auth/me', { cookie })).status).toBe(401);
    // The other session is still alive.
    expect((await t.request('GET', '/api/auth/me', { cookie: second })).status).toBe(200);
  });

  it('marks the cookie Secure behind an https proxy when trusted', async () => {
    const proxied = await createTestApp(driver, { provinces: [], config: { TRUST_PROXY: 'true' } });
    try {
      const response = await proxied.request('POST', '/api/auth/login', {
        body: { email: 'leader@test.hoinghi', password: 'correct horse battery' },
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(response.headers.get('set-cookie')).toMatch(/Secure/);
    } finally {
      await proxied.close();
    }
  });

  it('rate-limits failed sign-ins with 429 and Retry-After', async () => {
    const attempt = (password: string) => t.request('POST', '/api/auth/login', { body: { email: 'leader@test.hoinghi', password } });
    for (let i = 0; i < 3; i++) expect((await attempt('wrong password')).status).toBe(401);
    const limited = await attempt('correct horse battery');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body.error.code).toBe('too_many_requests');
  });

  it('lets at most the configured number of 40 parallel wrong passwords reach the password check', async () => {
    await t.signInAs('secretariat', '44', 'burst@test.hoinghi');
    const attempts = await Promise.all(
      Array.from({ length: 40 }, () => t.request('POST', '/api/auth/login', { body: { email: 'burst@test.hoinghi', password: 'wrong password' } })),
    );
    const statuses = attempts.map((a) => a.status);
    // 401 means the password was verified (and was wrong); 429 means it never got that far.
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(37);
    // The account is locked now, even with the right password.
    expect((await t.request('POST', '/api/auth/login', { body: { email: 'burst@test.hoinghi', password: 'correct horse battery' } })).status).toBe(429);
  });

  it('answers a wrong password and an unknown account the same way', async () => {
    const unknown = await t.request('POST', '/api/auth/login', { body: { email: 'nobody@test.hoinghi', password: 'whatever it is' } });
    const wrong = await t.request('POST', '/api/auth/login', { body: { email: 'admin@test.hoinghi', password: 'whatever it is' } });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it('lets only an admin create accounts, refuses duplicates with 409', async () => {
    const body = { email: 'thuky@quangtri.gov.vn', displayName: 'Thư ký Quảng Trị', role: 'secretariat', password: 'a long enough password' };
    expect((await t.request('POST', '/api/users', { cookie: t.cookies.secretariat, body })).status).toBe(403);
    const created = await t.request('POST', '/api/users', { cookie: t.cookies.admin, body });
    expect(created.status).toBe(201);
    expect(created.body.user).not.toHaveProperty('passwordHash');
    expect((await t.request('POST', '/api/users', { cookie: t.cookies.admin, body: { ...body, email: 'THUKY@quangtri.gov.vn' } })).status).toBe(409);
    expect((await t.request('POST', '/api/users', { cookie: t.cookies.admin, body: { ...body, email: 'x@y.vn', password: 'short' } })).status).toBe(400);
  });

  it('refuses a cross-site form post', async () => {
    const response = await t.app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      body: 'email=admin%40test.hoinghi&password=x',
    });
    expect(response.status).toBe(403);
    const sameSite = await t.app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: 'email=admin%40test.hoinghi&password=correct+horse+battery',
    });
    expect(sameSite.status).toBe(303);
  });

  it('sends security headers with a CSP on pages', async () => {
    const response = await t.app.request('/login');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  describe('with the sign-in cache on (a minute, so that only forgetting can end a cached sign-in)', () => {
    let cached: TestApp;
    beforeAll(async () => {
      cached = await createTestApp(driver, { provinces: [], config: { SIGN_IN_CACHE_MS: '60000' } });
    });
    afterAll(() => cached.close());

    const signIn = async (email: string) =>
      (await cached.request('POST', '/api/auth/login', { body: { email, password: 'correct horse battery' } })).headers.get('set-cookie')!.split(';')[0]!;
    const me = (cookie: string) => cached.request('GET', '/api/auth/me', { cookie });
    const userId = async (email: string) => (await cached.database.db.select({ id: users.id }).from(users).where(eq(users.email, email)))[0]!.id;

    it('refuses a signed-out cookie at once', async () => {
      const cookie = await signIn('leader@test.hoinghi');
      expect((await me(cookie)).status).toBe(200);
      expect((await cached.request('POST', '/api/auth/logout', { cookie, body: {} })).status).toBe(204);
      expect((await me(cookie)).status).toBe(401);
      expect((await cached.request('GET', '/api/units?level=province', { cookie })).status).toBe(401);
    });

    it('refuses the sign-ins of a deactivated account, and revoked sign-ins, once they are forgotten', async () => {
      const cookie = await signIn('secretariat@test.hoinghi');
      const id = await userId('secretariat@test.hoinghi');
      expect((await me(cookie)).status).toBe(200);
      // The cache is really on: a change nobody announces is not seen yet…
      await cached.database.db.update(users).set({ active: false }).where(eq(users.id, id));
      expect((await me(cookie)).status).toBe(200);
      // …and deactivation announces it.
      forgetSignIns(cached.database.db, { userId: id });
      expect((await me(cookie)).status).toBe(401);
      await cached.database.db.update(users).set({ active: true }).where(eq(users.id, id));

      const again = await signIn('secretariat@test.hoinghi');
      const other = await signIn('admin@test.hoinghi');
      expect((await me(again)).status).toBe(200);
      expect((await me(other)).status).toBe(200);
      await cached.database.db.delete(signIns).where(eq(signIns.userId, id));
      forgetSignIns(cached.database.db, { userId: id });
      expect((await me(again)).status).toBe(401);
      expect((await me(other)).status).toBe(200);
    });
  });
});
