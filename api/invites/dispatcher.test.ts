import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invites } from '../../db/schema.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { InvalidLinkError } from '../errors.ts';
import { DeliveryJournal } from './delivery-journal.ts';
import { readArrival, sitesByEmail, testDispatcher, testTransport, tokenOf, waitFor, type Arrival } from './delivery.test-support.ts';
import type { MailTransport } from './mail-transport.ts';
import { verifySiteToken } from './site-tokens.ts';
import { startTestSmtpServer, type SmtpRefusal, type TestSmtpServer } from './smtp-test-server.test-support.ts';

const hours = (n: number) => new Date(TEST_NOW.getTime() + n * 3600_000).toISOString();

describe.each(DRIVERS)('invitation delivery on %s', (driver) => {
  let t: TestApp;
  let hall: string;
  let communes: { id: string; name: string }[];
  let server: TestSmtpServer;
  /** Per-test refusal rule for the end of DATA, by recipient. */
  let refuse: (rcpt: string) => SmtpRefusal | undefined = () => undefined;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    server = await startTestSmtpServer({ refuseData: (session) => refuse(session.envelope.rcptTo[0]?.address ?? '') });
    t = await createTestApp(driver, { provinces: ['44'] });
    const halls = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string; unitCode: string }[];
    hall = halls.find((h) => h.unitCode === '44')!.id;
    communes = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites.filter(
      (s: { kind: string }) => s.kind === 'commune',
    );
  });
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
    refuse = () => undefined;
    server.received.length = 0;
    t.clock.now = TEST_NOW;
  });
  afterAll(async () => {
    await t.close();
    await server.close();
  });

  const secretariat = () => t.cookies.secretariat;
  async function schedule(body: Record<string, unknown>) {
    const response = await t.request('POST', '/api/meetings', {
      cookie: secretariat(),
      body: { hostSiteId: hall, startsAt: hours(24), endsAt: hours(26), ...body },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as { id: string; uid: string; sequence: number };
  }
  function transport(url = server.url): MailTransport {
    const tr = testTransport(url);
    cleanups.push(() => tr.close());
    return tr;
  }
  async function arrivals(from = 0): Promise<Arrival[]> {
    return Promise.all(server.received.slice(from).map(readArrival));
  }
  async function rowsOf(meetingId: string) {
    return t.database.db.select().from(invites).where(eq(invites.meetingId, meetingId));
  }

  it('delivers invitations, updates and cancellations to every Quảng Trị site, each with its own working links', async () => {
    const dispatcher = testDispatcher(t, transport());
    dispatcher.start();
    dispatcher.start(); // idempotent
    cleanups.push(() => dispatcher.close());

    const meeting = await schedule({ title: 'Giao ban trực tuyến tháng 12', unitCodes: ['44'] });
    const siteIds = [hall, ...communes.map((c) => c.id)];
    expect(siteIds).toHaveLength(79);
    const siteOf = await sitesByEmail(t, siteIds);

    // The poll is an hour: these arrive because the committed change woke the dispatcher.
    await waitFor(() => server.received.length >= 79, '79 invitations');
    const invitations = await arrivals();
    expect(invitations).toHaveLength(79);
    const firstJoinTokens = new Map<string, string>();
    for (const mail of invitations) {
      const siteId = siteOf.get(mail.to)!;
      expect(siteId, mail.to).toBeDefined();
      expect(mail.subject).toMatch(/^Giấy mời họp trực tuyến: /);
      expect(mail.contentTypeMethod).toBe('REQUEST');
      expect(mail.event).toMatchObject({ uid: meeting.uid, sequence: 0, status: 'CONFIRMED' });
      expect(mail.event!.attendees.map((a) => a.email)).toEqual([mail.to]);
      expect(mail.text).toContain(`http://hoinghi.test/ready/`);
      if (siteId === hall) {
        // The host hall's link is its console (sign-in required), never a join token.
        expect(mail.event!.url).toBe(`http://hoinghi.test/meetings/${meeting.id}/console`);
        continue;
      }
      // The site's own join link: it verifies for this site and meeting, and for nothing else.
      const joinToken = tokenOf(mail.event!.url!);
      expect(mail.event!.url).toBe(`http://hoinghi.test/join/${joinToken}`);
      expect(await verifySiteToken(t.database.db, joinToken, 'join', t.clock.now)).toMatchObject({ meetingId: meeting.id, siteId });
      await expect(verifySiteToken(t.database.db, joinToken, 'readiness', t.clock.now)).rejects.toBeInstanceOf(InvalidLinkError);
      firstJoinTokens.set(siteId, joinToken);
    }
    expect(new Set(invitations.map((m) => m.to)).size).toBe(79);
    expect(new Set(firstJoinTokens.values()).size).toBe(78);

    // Reschedule: 79 updates, same UID, SEQUENCE + 1.
    const moved = await t.request('PATCH', `/api/meetings/${meeting.id}`, { cookie: secretariat(), body: { startsAt: hours(30), endsAt: hours(32) } });
    expect(moved.status).toBe(200);
    await waitFor(() => server.received.length >= 158, '79 updates');
    const updates = await arrivals(79);
    expect(updates).toHaveLength(79);
    for (const mail of updates) {
      expect(mail.subject).toMatch(/^Thay đổi lịch họp: /);
      expect(mail.event).toMatchObject({ uid: meeting.uid, sequence: 1 });
      expect(mail.event!.start.toISOString()).toBe(hours(30));
    }
    expect(new Set(updates.map((m) => m.to)).size).toBe(79);

    // Removing one site: one CANCEL to it, and its links stop working.
    const removed = communes[5]!.id;
    const removal = await t.request('PATCH', `/api/meetings/${meeting.id}`, { cookie: secretariat(), body: { removeSiteIds: [removed] } });
    expect(removal.status).toBe(200);
    await waitFor(() => server.received.length >= 159, 'the withdrawal');
    const [withdrawal] = await arrivals(158);
    expect(siteOf.get(withdrawal!.to)).toBe(removed);
    expect(withdrawal!.contentTypeMethod).toBe('CANCEL');
    expect(withdrawal!.subject).toMatch(/^Thu hồi giấy mời họp: /);
    expect(withdrawal!.event).toMatchObject({ uid: meeting.uid, sequence: 2, status: 'CANCELLED' });
    await expect(verifySiteToken(t.database.db, firstJoinTokens.get(removed)!, 'join', t.clock.now)).rejects.toMatchObject({ problem: 'revoked' });
    // Other sites' links still work — and survived the reschedule (valid until the new end).
    t.clock.now = new Date(TEST_NOW.getTime() + 27 * 3600_000);
    expect(await verifySiteToken(t.database.db, firstJoinTokens.get(communes[0]!.id)!, 'join', t.clock.now)).toMatchObject({ siteId: communes[0]!.id });
    t.clock.now = TEST_NOW;

    // Cancelling: a CANCEL to each of the 78 remaining sites, higher SEQUENCE, STATUS:CANCELLED.
    const cancelled = await t.request('POST', `/api/meetings/${meeting.id}/cancel`, { cookie: secretariat(), body: { reason: 'Lùi lịch' } });
    expect(cancelled.status).toBe(200);
    await waitFor(() => server.received.length >= 159 + 78, '78 cancellations');
    const cancellations = await arrivals(159);
    expect(cancellations).toHaveLength(78);
    for (const mail of cancellations) {
      expect(mail.subject).toMatch(/^Hủy cuộc họp: /);
      expect(mail.contentTypeMethod).toBe('CANCEL');
      expect(mail.event).toMatchObject({ uid: meeting.uid, sequence: 3, status: 'CANCELLED' });
    }
    expect(new Set(cancellations.map((m) => siteOf.get(m.to)))).toEqual(new Set(siteIds.filter((id) => id !== removed)));
    await expect(verifySiteToken(t.database.db, firstJoinTokens.get(communes[0]!.id)!, 'join', t.clock.now)).rejects.toMatchObject({ problem: 'revoked' });

    const rows = await rowsOf(meeting.id);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1 && r.messageId)).toBe(true);
    expect(rows).toHaveLength(79 + 79 + 1 + 78);

    await dispatcher.close();
    await dispatcher.close(); // idempotent
  });

  it('retries a 421 and delivers exactly once; gives up on a 550 with the reason, without retrying', async () => {
    const [retried, refused] = [communes[0]!, communes[1]!];
    const emails = await sitesByEmail(t, [retried.id, refused.id]);
    const emailOf = (siteId: string) => [...emails].find(([, id]) => id === siteId)![0];
    let refusals421 = 0;
    refuse = (rcpt) => {
      if (rcpt === emailOf(retried.id) && refusals421 === 0) {
        refusals421++;
        return { responseCode: 421, message: 'Service not available, try again later' };
      }
      if (rcpt === emailOf(refused.id)) return { responseCode: 550, message: 'Mailbox unavailable' };
      return undefined;
    };
    const dispatcher = testDispatcher(t, transport());
    const meeting = await schedule({ title: 'Họp thử lỗi', startsAt: hours(100), endsAt: hours(101), siteIds: [retried.id, refused.id], allowConflicts: true });
    await dispatcher.drain();

    const byId = async () => new Map((await rowsOf(meeting.id)).map((r) => [r.siteId, r]));
    let rows = await byId();
    expect(rows.get(hall)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(rows.get(retried.id)).toMatchObject({ status: 'queued', attempts: 1 });
    expect(rows.get(retried.id)!.lastError).toContain('421');
    expect(rows.get(retried.id)!.nextAttemptAt.getTime()).toBeGreaterThan(TEST_NOW.getTime());
    expect(rows.get(refused.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(rows.get(refused.id)!.lastError).toMatch(/550.*Mailbox unavailable/);

    // Not due yet: nothing happens until the back-off has passed.
    expect(await dispatcher.drain()).toBe(0);
    t.clock.now = new Date(TEST_NOW.getTime() + 2 * 3600_000);
    await dispatcher.drain();
    rows = await byId();
    expect(rows.get(retried.id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(rows.get(refused.id)).toMatchObject({ status: 'failed', attempts: 1 });

    const delivered = (await arrivals()).map((a) => a.to);
    expect(delivered.filter((to) => to === emailOf(retried.id))).toHaveLength(1);
    expect(delivered.filter((to) => to === emailOf(refused.id))).toHaveLength(0);
    expect(delivered).toHaveLength(2);
  });

  it('after a dispatcher dies mid-batch, a new one delivers every invitation exactly once once the leases expire', async () => {
    const real = transport();
    let forwarded = 0;
    // The first 20 sends go out; then the "process" freezes inside send, before talking to SMTP.
    const dying: MailTransport = {
      send: (message) => (forwarded++ < 20 ? real.send(message) : new Promise(() => {})),
      close: async () => {},
    };
    const doomed = testDispatcher(t, dying, { batchSize: 10, concurrency: 5 });
    doomed.start(); // never closed: abandoned with its rows leased, as a crash would leave them
    const meeting = await schedule({ title: 'Họp khi máy chủ gặp sự cố', startsAt: hours(200), endsAt: hours(201), unitCodes: ['44'], allowConflicts: true });
    // Frozen in its third batch, with the fourth claimed ahead (runRound): 20 rows leased.
    await waitFor(
      async () => (await rowsOf(meeting.id)).filter((r) => r.status === 'sending').length === 20 && server.received.length === 20,
      'the dispatcher to freeze',
    );

    const survivor = testDispatcher(t, real, { batchSize: 10, concurrency: 5 });
    await survivor.drain();
    // The frozen dispatcher's rows are still leased: not touched yet.
    let rows = await rowsOf(meeting.id);
    expect(rows.filter((r) => r.status === 'sending')).toHaveLength(20);
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(59);

    t.clock.now = new Date(TEST_NOW.getTime() + t.ctx.config.INVITE_LEASE_SECONDS * 1000 + 1000);
    await survivor.drain();
    rows = await rowsOf(meeting.id);
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(79);
    expect(rows.filter((r) => r.attempts === 2)).toHaveLength(20);

    const perSite = new Map<string, number>();
    for (const mail of await arrivals()) perSite.set(`${mail.to} ${mail.event!.sequence}`, (perSite.get(`${mail.to} ${mail.event!.sequence}`) ?? 0) + 1);
    expect(perSite.size).toBe(79);
    expect([...perSite.values()].every((n) => n === 1)).toBe(true);
  });

  it('a death between the server’s 250 and the database update duplicates only those messages, with the same Message-ID', async () => {
    // This is the window no SMTP client can close (see dispatcher.ts): the server has the
    // message, our row still says "sending". We simulate dying exactly there and count.
    const real = transport();
    let sends = 0;
    const diesAfter250: MailTransport = {
      send: async (message) => {
        const result = await real.send(message);
        if (++sends > 3) await new Promise(() => {}); // accepted by the server, never recorded
        return result;
      },
      close: async () => {},
    };
    const doomed = testDispatcher(t, diesAfter250, { batchSize: 5, concurrency: 5 });
    doomed.start();
    const picked = communes.slice(20, 24).map((c) => c.id);
    const meeting = await schedule({ title: 'Họp kiểm tra cửa sổ 250', startsAt: hours(300), endsAt: hours(301), siteIds: picked, allowConflicts: true });
    // Five accepted by the server, three of them recorded: the other two are inside the window.
    await waitFor(
      async () => server.received.length === 5 && (await rowsOf(meeting.id)).filter((r) => r.status === 'sent').length === 3,
      'five accepted messages',
    );

    t.clock.now = new Date(TEST_NOW.getTime() + t.ctx.config.INVITE_LEASE_SECONDS * 1000 + 1000);
    await testDispatcher(t, real).drain();
    const rows = await rowsOf(meeting.id);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);

    const mails = await arrivals();
    const byRecipient = new Map<string, Arrival[]>();
    for (const mail of mails) byRecipient.set(mail.to, [...(byRecipient.get(mail.to) ?? []), mail]);
    const duplicated = [...byRecipient.values()].filter((list) => list.length > 1);
    // Exactly the two sends that died after the 250 were delivered twice…
    expect(mails).toHaveLength(5 + 2);
    expect(duplicated).toHaveLength(2);
    // …each copy with the same Message-ID, so receivers can drop it.
    for (const copies of duplicated) expect(new Set(copies.map((c) => c.messageId)).size).toBe(1);
  });

  it('with the journal, a death after the 250s but before their outcomes are written duplicates nothing: the next dispatcher replays them', async () => {
    // Journaled outcomes wait up to 50 ms to be written together (outcome-recorder.ts). Here the
    // database stops answering the dispatcher's writes from the first acceptance on, as if the
    // process died right after journaling: the rows still say "sending" with their leases.
    const journal = new DeliveryJournal(path.join(await mkdtemp(path.join(os.tmpdir(), 'hoinghi-journal-')), 'invite-journal.ndjson'));
    let dead = false;
    const db = t.database.db;
    const writesHang = new Proxy(db, {
      get: (target, property, receiver) => (property === 'execute' && dead ? () => new Promise(() => {}) : Reflect.get(target, property, receiver)),
    });
    const real = transport();
    const diesAfterJournal: MailTransport = {
      send: async (message, options) => {
        const result = await real.send(message, options);
        dead = true;
        return result;
      },
      close: async () => {},
    };
    const doomed = testDispatcher(t, diesAfterJournal, { batchSize: 5, concurrency: 5 }, { journal, db: writesHang });
    const picked = communes.slice(30, 34).map((c) => c.id);
    const meeting = await schedule({ title: 'Họp kiểm tra nhật ký gửi', startsAt: hours(350), endsAt: hours(351), siteIds: picked, allowConflicts: true });
    void doomed.drain(); // abandoned, never closed: its outcome write never returns
    const journaled = () => (existsSync(journal.file) ? readFileSync(journal.file, 'utf8').trim().split('\n').filter(Boolean).length : 0);
    await waitFor(() => server.received.length === 5 && journaled() === 5, 'five journaled acceptances');
    expect((await rowsOf(meeting.id)).map((r) => r.status)).toEqual(Array(5).fill('sending'));

    // The next dispatcher (same journal, leases not expired) records them from the journal first.
    const next = testDispatcher(t, real, { batchSize: 5, concurrency: 5 }, { journal });
    expect(await next.drain()).toBe(0);
    expect(next.stats().recoveredFromJournal).toBe(5);
    const rows = await rowsOf(meeting.id);
    expect(rows.every((r) => r.status === 'sent' && r.leaseUntil === null && r.messageId)).toBe(true);
    const mails = await arrivals();
    expect(mails).toHaveLength(5);
    expect(new Set(mails.map((m) => m.messageId))).toEqual(new Set(rows.map((r) => r.messageId)));
    expect(readFileSync(journal.file, 'utf8')).toBe('');
  });

  it('a batch claimed ahead keeps its lease while more than half is left, and is renewed when less is', async () => {
    const real = transport();
    // Sends beyond `allowed` wait, so each step below happens while the rows are still leased.
    let allowed = 0;
    let started = 0;
    const waiting: Array<() => void> = [];
    const gated: MailTransport = {
      send: async (message, options) => {
        while (started >= allowed) await new Promise<void>((resolve) => waiting.push(resolve));
        started++;
        return real.send(message, options);
      },
      close: async () => {},
    };
    const allow = (n: number) => {
      allowed = n;
      for (const resume of waiting.splice(0)) resume();
    };
    const leaseMs = t.ctx.config.INVITE_LEASE_SECONDS * 1000;
    const dispatcher = testDispatcher(t, gated, { batchSize: 50, concurrency: 2 });
    dispatcher.start();
    try {
      // The clock moves on by 30% of the lease (no renewal), then by 60% (renewed from then).
      for (const [round, advanceMs] of [
        [0, leaseMs * 0.3],
        [1, leaseMs * 0.6],
      ] as const) {
        const claimedAt = t.clock.now.getTime();
        const meeting = await schedule({
          title: `Họp gia hạn ${round}`,
          startsAt: hours(500 + round),
          endsAt: hours(500.5 + round),
          unitCodes: ['44'],
          allowConflicts: true,
        });
        // 50 claimed and sending, the other 29 claimed ahead: all with the lease of their claim.
        await waitFor(async () => (await rowsOf(meeting.id)).every((r) => r.status === 'sending'), 'both batches claimed');
        t.clock.now = new Date(claimedAt + advanceMs);
        allow(started + 50); // the first batch goes; the second waits at the gate, leased
        await waitFor(() => started === allowed && waiting.length > 0, 'the second batch at the gate');
        const ahead = (await rowsOf(meeting.id)).filter((r) => r.status === 'sending');
        expect(ahead).toHaveLength(29);
        const expected = round === 0 ? claimedAt + leaseMs : claimedAt + advanceMs + leaseMs;
        expect(ahead.map((r) => r.leaseUntil?.getTime())).toEqual(Array(29).fill(expected));
        allow(started + 29);
        await waitFor(async () => (await rowsOf(meeting.id)).every((r) => r.status === 'sent'), 'every invitation sent');
      }
    } finally {
      allow(Number.POSITIVE_INFINITY);
      await dispatcher.close();
      t.clock.now = TEST_NOW;
    }
  });

  it('close() waits for the sends in flight and leaves no row leased, the batch claimed ahead given back', async () => {
    // 20 ms a message over two connections: the first batch of 50 takes half a second.
    const real = transport();
    const slow: MailTransport = {
      send: async (message) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return real.send(message);
      },
      close: async () => {},
    };
    const dispatcher = testDispatcher(t, slow, { batchSize: 50, concurrency: 2 });
    dispatcher.start();
    const meeting = await schedule({ title: 'Họp đóng êm', startsAt: hours(400), endsAt: hours(401), unitCodes: ['44'], allowConflicts: true });
    await waitFor(() => server.received.length >= 3, 'the first sends');
    // The first batch of 50 was full, so the other 29 are claimed ahead while it is sent.
    await waitFor(async () => (await rowsOf(meeting.id)).every((r) => r.status !== 'queued'), 'the next batch claimed ahead');
    await dispatcher.close();
    const rows = await rowsOf(meeting.id);
    expect(rows.filter((r) => r.status === 'sending')).toEqual([]);
    // Given back unsent: queued again, due at once, the claim not counted as an attempt.
    expect(rows.filter((r) => r.status === 'queued').map((r) => r.attempts)).toEqual(Array(29).fill(0));
    const sent = rows.filter((r) => r.status === 'sent').length;
    expect(server.received).toHaveLength(sent);
    // Nothing more goes out after close().
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.received).toHaveLength(sent);
    // Whatever was left is picked up by the next dispatcher.
    await testDispatcher(t, transport()).drain();
    expect((await rowsOf(meeting.id)).every((r) => r.status === 'sent')).toBe(true);
    expect(
      await t.database.db
        .select()
        .from(invites)
        .where(and(eq(invites.meetingId, meeting.id), eq(invites.status, 'sent'), eq(invites.attempts, 1))),
    ).toHaveLength(79);
  });
});
