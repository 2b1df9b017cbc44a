/**
 * Account lifecycle through the API: listing and managing accounts within the admin's unit,
 * deactivation and password resets ending sign-ins, one's own password and sign-ins, the idle
 * timeout, the forgotten-password link by e-mail, and the __Host- cookie over https.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { readArrival, testTransport, waitFor } from '../invites/delivery.test-support.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../invites/smtp-test-server.test-support.ts';

const PASSWORD = 'correct horse battery';

describe.each(DRIVERS)('accounts on %s', (driver) => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let qtAdmin: string;

  const login = async (email: string, password = PASSWORD, headers: Record<string, string> = {}) => {
    const response = await t.request('POST', '/api/auth/login', { body: { email, password }, headers });
    return { status: response.status, cookie: response.headers.get('set-cookie')?.split(';')[0] ?? '' };
  };
  const create = async (cookie: string, email: string, role: string, unitCode: string) =>
    t.request('POST', '/api/users', { cookie, body: { email, displayName: `Tài khoản ${email}`, role, unitCode, password: PASSWORD } });

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    t = await createTestApp(driver, { provinces: ['44', '01'], mail: testTransport(smtp.url) });
    qtAdmin = await t.signInAs('admin', '44');
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('lets an admin of Quảng Trị list and manage only its own unit’s accounts', async () => {
    expect((await create(qtAdmin, 'thuky2@quangtri.gov.vn', 'secretariat', '44')).status).toBe(201);
    expect((await create(qtAdmin, 'lanhdao@hanoi.gov.vn', 'leader', '01')).status).toBe(403);
    const mine = (await t.request('GET', '/api/users', { cookie: qtAdmin })).body.users as { email: string; unitCode: string; id: string }[];
    expect(new Set(mine.map((u) => u.unitCode))).toEqual(new Set(['44']));
    const all = (await t.request('GET', '/api/users', { cookie: t.cookies.admin })).body.users as { email: string; unitCode: string; id: string }[];
    expect(all.map((u) => u.unitCode)).toEqual(expect.arrayContaining(['VN', '44', '01']));
    const hanoiLeader = all.find((u) => u.unitCode === '01')!;
    const before = (await t.request('GET', '/api/auth/me', { cookie: t.cookies.hanoiLeader })).status;
    expect((await t.request('POST', `/api/users/${hanoiLeader.id}/deactivate`, { cookie: qtAdmin, body: {} })).status).toBe(403);
    expect((await t.request('POST', `/api/users/${hanoiLeader.id}/password`, { cookie: qtAdmin, body: { password: 'taken over by 44' } })).status).toBe(403);
    expect((await t.request('GET', '/api/auth/me', { cookie: t.cookies.hanoiLeader })).status).toBe(before);
    expect((await t.request('GET', '/api/users', { cookie: t.cookies.quangTriSecretariat })).status).toBe(403);
  });

  it('ends every sign-in of a deactivated account at once, and it cannot sign in again', async () => {
    await create(qtAdmin, 'thuky3@quangtri.gov.vn', 'secretariat', '44');
    const first = await login('thuky3@quangtri.gov.vn');
    const second = await login('thuky3@quangtri.gov.vn');
    const id = (await t.request('GET', '/api/auth/me', { cookie: first.cookie })).body.user.id;
    const deactivated = await t.request('POST', `/api/users/${id}/deactivate`, { cookie: qtAdmin, body: {} });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.user.active).toBe(false);
    expect((await t.request('GET', '/api/auth/me', { cookie: first.cookie })).status).toBe(401);
    expect((await t.request('GET', '/api/meetings', { cookie: second.cookie })).status).toBe(401);
    expect((await login('thuky3@quangtri.gov.vn')).status).toBe(401);
    expect((await t.request('POST', `/api/users/${id}/reactivate`, { cookie: qtAdmin, body: {} })).status).toBe(200);
    expect((await login('thuky3@quangtri.gov.vn')).status).toBe(200);
  });

  it('resets a password (the old sign-ins end) and lets an account change its own (its other sign-ins end)', async () => {
    await create(qtAdmin, 'thuky4@quangtri.gov.vn', 'secretariat', '44');
    const a = await login('thuky4@quangtri.gov.vn');
    const id = (await t.request('GET', '/api/auth/me', { cookie: a.cookie })).body.user.id;
    expect((await t.request('POST', `/api/users/${id}/password`, { cookie: qtAdmin, body: { password: 'a new password 2026' } })).status).toBe(204);
    expect((await t.request('GET', '/api/auth/me', { cookie: a.cookie })).status).toBe(401);
    const b = await login('thuky4@quangtri.gov.vn', 'a new password 2026');
    const c = await login('thuky4@quangtri.gov.vn', 'a new password 2026');
    expect(
      (await t.request('POST', '/api/auth/password', { cookie: b.cookie, body: { currentPassword: 'wrong', newPassword: 'my own password 1' } })).status,
    ).toBe(422);
    expect(
      (await t.request('POST', '/api/auth/password', { cookie: b.cookie, body: { currentPassword: 'a new password 2026', newPassword: 'my own password 1' } }))
        .status,
    ).toBe(204);
    expect((await t.request('GET', '/api/auth/me', { cookie: b.cookie })).status).toBe(200);
    expect((await t.request('GET', '/api/auth/me', { cookie: c.cookie })).status).toBe(401);
    expect((await login('thuky4@quangtri.gov.vn', 'my own password 1')).status).toBe(200);
  });

  it('lists an account’s sign-ins and revokes one of them', async () => {
    await create(qtAdmin, 'thuky5@quangtri.gov.vn', 'secretariat', '44');
    const phone = await login('thuky5@quangtri.gov.vn');
    const desk = await login('thuky5@quangtri.gov.vn');
    const list = (await t.request('GET', '/api/auth/sign-ins', { cookie: desk.cookie })).body.signIns as { publicId: string; current: boolean }[];
    expect(list).toHaveLength(2);
    expect(list.filter((s) => s.current)).toHaveLength(1);
    const other = list.find((s) => !s.current)!;
    expect(JSON.stringify(list)).not.toContain(phone.cookie.split('=')[1]);
    // Another account cannot revoke it.
    expect((await t.request('DELETE', `/api/auth/sign-ins/${other.publicId}`, { cookie: t.cookies.secretariat, body: {} })).status).toBe(404);
    expect((await t.request('GET', '/api/auth/me', { cookie: phone.cookie })).status).toBe(200);
    expect((await t.request('DELETE', `/api/auth/sign-ins/${other.publicId}`, { cookie: desk.cookie, body: {} })).status).toBe(204);
    expect((await t.request('GET', '/api/auth/me', { cookie: phone.cookie })).status).toBe(401);
    expect((await t.request('GET', '/api/auth/me', { cookie: desk.cookie })).status).toBe(200);
  });

  it('ends a sign-in left idle longer than SIGN_IN_IDLE_MINUTES, and keeps one in use', async () => {
    await create(qtAdmin, 'thuky6@quangtri.gov.vn', 'secretariat', '44');
    const idle = await login('thuky6@quangtri.gov.vn');
    const busy = await login('thuky6@quangtri.gov.vn');
    try {
      for (let minutes = 30; minutes <= 150; minutes += 30) {
        t.clock.now = new Date(TEST_NOW.getTime() + minutes * 60_000);
        expect((await t.request('GET', '/api/auth/me', { cookie: busy.cookie })).status, `${minutes} min`).toBe(200);
      }
      // 150 minutes without a request: past the 120-minute default.
      expect((await t.request('GET', '/api/auth/me', { cookie: idle.cookie })).status).toBe(401);
    } finally {
      t.clock.now = TEST_NOW;
    }
  });

  it('mails a forgotten-password link that works once within 30 minutes, and says nothing about unknown addresses', async () => {
    await create(qtAdmin, 'quenmatkhau@quangtri.gov.vn', 'leader', '44');
    const old = await login('quenmatkhau@quangtri.gov.vn');
    const unknown = await t.request('POST', '/api/auth/forgot-password', { body: { email: 'nobody@quangtri.gov.vn' } });
    const known = await t.request('POST', '/api/auth/forgot-password', { body: { email: 'QuenMatKhau@quangtri.gov.vn' } });
    expect(unknown.status).toBe(202);
    expect(known.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    await waitFor(() => smtp.received.some((m) => m.rcptTo.includes('quenmatkhau@quangtri.gov.vn')), 'the reset mail');
    expect(smtp.received.some((m) => m.rcptTo.includes('nobody@quangtri.gov.vn'))).toBe(false);
    const mail = await readArrival(smtp.received.find((m) => m.rcptTo.includes('quenmatkhau@quangtri.gov.vn'))!);
    const token = /http:\/\/hoinghi\.test\/reset-password\/([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1];
    expect(token).toBeDefined();

    expect((await t.request('POST', '/api/auth/reset-password', { body: { token, password: 'short' } })).status).toBe(400);
    expect((await t.request('POST', '/api/auth/reset-password', { body: { token, password: 'a fresh password 1' } })).status).toBe(204);
    const again = await t.request('POST', '/api/auth/reset-password', { body: { token, password: 'a second password 2' } });
    expect(again.status).toBe(410);
    expect((await t.request('GET', '/api/auth/me', { cookie: old.cookie })).status).toBe(401);
    expect((await login('quenmatkhau@quangtri.gov.vn', 'a fresh password 1')).status).toBe(200);

    // A second link, used after 31 minutes: expired.
    const before = smtp.received.length;
    await t.request('POST', '/api/auth/forgot-password', { body: { email: 'quenmatkhau@quangtri.gov.vn' } });
    await waitFor(() => smtp.received.length > before, 'the second reset mail');
    const late = /reset-password\/([A-Za-z0-9_-]{43})/.exec((await readArrival(smtp.received.at(-1)!)).text)![1];
    t.clock.now = new Date(TEST_NOW.getTime() + 31 * 60_000);
    try {
      expect((await t.request('POST', '/api/auth/reset-password', { body: { token: late, password: 'too late password' } })).status).toBe(410);
    } finally {
      t.clock.now = TEST_NOW;
    }
    expect((await t.request('POST', '/api/auth/reset-password', { body: { token: 'x'.repeat(43), password: 'guessing password' } })).status).toBe(404);
  });

  it('does the same through the pages: a reset link page, one’s own account, the admins’ list', async () => {
    const formPost = (path: string, cookie: string | null, fields: Record<string, string>) =>
      t.app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', accept: 'text/html', ...(cookie ? { cookie } : {}) },
        body: new URLSearchParams(fields).toString(),
      });
    // Forgotten password: the form, then the same "sent" page for any address.
    expect((await t.app.request('/forgot-password')).status).toBe(200);
    const sent = await formPost('/forgot-password', null, { email: 'trang@quangtri.gov.vn' });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toBe('/forgot-password?sent=1');
    await create(qtAdmin, 'trang@quangtri.gov.vn', 'leader', '44');
    const before = smtp.received.length;
    expect((await formPost('/forgot-password', null, { email: 'trang@quangtri.gov.vn' })).headers.get('location')).toBe('/forgot-password?sent=1');
    await waitFor(() => smtp.received.length > before, 'the reset mail');
    const link = /http:\/\/hoinghi\.test(\/reset-password\/[A-Za-z0-9_-]{43})/.exec((await readArrival(smtp.received.at(-1)!)).text)![1]!;
    const page = await t.app.request(link);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const done = await formPost(link, null, { password: 'from the page 2026' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Đã đặt mật khẩu mới');
    expect((await formPost(link, null, { password: 'from the page again' })).status).toBe(410);
    const signedIn = await login('trang@quangtri.gov.vn', 'from the page 2026');
    expect(signedIn.status).toBe(200);

    // One's own account: change the password from the page.
    const account = await t.app.request('/account', { headers: { cookie: signedIn.cookie } });
    expect(await account.text()).toContain('Phiên này');
    expect((await formPost('/account/password', signedIn.cookie, { currentPassword: 'wrong one', newPassword: 'whatever it is now' })).status).toBe(422);
    expect(
      (await formPost('/account/password', signedIn.cookie, { currentPassword: 'from the page 2026', newPassword: 'changed on the page' })).headers.get(
        'location',
      ),
    ).toBe('/account?done=1');
    expect((await login('trang@quangtri.gov.vn', 'changed on the page')).status).toBe(200);

    // The admins' list: Quảng Trị's admin sees Quảng Trị's accounts and can deactivate one.
    const list = await (await t.app.request('/admin/users', { headers: { cookie: qtAdmin } })).text();
    expect(list).toContain('trang@quangtri.gov.vn');
    expect(list).not.toContain('leader-01@test.hoinghi');
    const trangId = ((await t.request('GET', '/api/users', { cookie: qtAdmin })).body.users as { id: string; email: string }[]).find(
      (u) => u.email === 'trang@quangtri.gov.vn',
    )!.id;
    expect((await formPost(`/admin/users/${trangId}/deactivate`, qtAdmin, {})).status).toBe(303);
    expect((await t.request('GET', '/api/auth/me', { cookie: signedIn.cookie })).status).toBe(401);
    const hanoiId = ((await t.request('GET', '/api/users', { cookie: t.cookies.admin })).body.users as { id: string; unitCode: string }[]).find(
      (u) => u.unitCode === '01',
    )!.id;
    const refused = await formPost(`/admin/users/${hanoiId}/deactivate`, qtAdmin, {});
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/text\/html/);
    expect(
      (await formPost('/admin/users', qtAdmin, { email: 'x@hanoi.gov.vn', displayName: 'X', role: 'leader', unitCode: '01', password: 'long enough password' }))
        .status,
    ).toBe(403);
  });

  it('names the cookie __Host- over https and accepts only that name there', async () => {
    const proxied = await createTestApp(driver, { provinces: [], config: { TRUST_PROXY: 'true' } });
    try {
      const https = { 'x-forwarded-proto': 'https' };
      const response = await proxied.request('POST', '/api/auth/login', { body: { email: 'leader@test.hoinghi', password: PASSWORD }, headers: https });
      const setCookie = response.headers.get('set-cookie')!;
      expect(setCookie).toMatch(/^__Host-hoinghi_signin=/);
      expect(setCookie).toMatch(/Secure/);
      expect(setCookie).toMatch(/Path=\//);
      expect(setCookie).not.toMatch(/Domain=/i);
      const cookie = setCookie.split(';')[0]!;
      expect((await proxied.request('GET', '/api/auth/me', { cookie, headers: https })).status).toBe(200);
      // The same value under the unprefixed name is not read over https (a subdomain could set that one).
      expect((await proxied.request('GET', '/api/auth/me', { cookie: cookie.replace('__Host-', ''), headers: https })).status).toBe(401);
    } finally {
      await proxied.close();
    }
  });
});
