import { afterEach, describe, expect, it } from 'vitest';
import { composeInviteEmail } from './email.ts';
import { expectWellFormedContentLines, readWithBothParsers } from './ics-readers.test-support.ts';
import { calendarParts, HOST_HALL, inviteFor, MEETING_TITLE, parseMail, SITES } from './invite-fixtures.test-support.ts';
import { classifySendError, createSmtpTransport, type MailTransport, type SmtpTransportOptions } from './mail-transport.ts';
import { startMisbehavingServer, startTestSmtpServer, unusedPort, type TestSmtpServerOptions } from './smtp-test-server.test-support.ts';
import { createThreadedSmtpTransport } from './threaded-smtp-transport.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

// Production sends from a thread of its own (server/mail-transport.ts); both must behave alike.
const TRANSPORTS = [
  { where: 'on the calling thread', create: createSmtpTransport },
  { where: 'on the SMTP thread', create: createThreadedSmtpTransport },
] as const;

function transportOf(create: (options: SmtpTransportOptions) => MailTransport, options: SmtpTransportOptions): MailTransport {
  const transport = create(options);
  cleanups.push(() => transport.close());
  return transport;
}

async function smtpPairWith(create: (options: SmtpTransportOptions) => MailTransport, options: TestSmtpServerOptions = {}, maxConnections = 2) {
  const server = await startTestSmtpServer(options);
  cleanups.push(() => server.close());
  return { server, transport: transportOf(create, { url: server.url, maxConnections, ratePerSecond: 50 }) };
}

async function failureOf(transport: MailTransport, message = composeInviteEmail(inviteFor(SITES[1]!)).message) {
  try {
    await transport.send(message);
  } catch (err) {
    return err;
  }
  throw new Error('send was expected to fail');
}

describe.each(TRANSPORTS)('SMTP transport delivering invitations $where', ({ create }) => {
  const smtpPair = (options?: TestSmtpServerOptions, maxConnections?: number) => smtpPairWith(create, options, maxConnections);

  it('delivers request, update and cancel that mail clients and calendars read consistently', async () => {
    const { server, transport } = await smtpPair();
    const site = SITES[0]!;
    const steps = [
      { input: inviteFor(site), method: 'REQUEST', sequence: 0, subject: `Giấy mời họp trực tuyến: ${MEETING_TITLE}` },
      {
        input: inviteFor(site, { sequence: 1, startsAt: new Date('2026-11-26T02:00:00Z'), endsAt: new Date('2026-11-26T05:00:00Z') }),
        method: 'REQUEST',
        sequence: 1,
        subject: `Thay đổi lịch họp: ${MEETING_TITLE}`,
      },
      {
        input: inviteFor(site, { method: 'CANCEL', sequence: 2, status: 'cancelled' }),
        method: 'CANCEL',
        sequence: 2,
        subject: `Hủy cuộc họp: ${MEETING_TITLE}`,
      },
    ] as const;

    for (const step of steps) {
      const result = await transport.send(composeInviteEmail(step.input).message);
      expect(result.rejected).toEqual([]);
      expect(result.accepted.sort()).toEqual([site.email, ...site.otherContacts].sort());
    }
    expect(server.received).toHaveLength(3);

    const uids = new Set<string>();
    for (const [index, step] of steps.entries()) {
      const delivery = server.received[index]!;
      expect(delivery.mailFrom).toBe('vanphong@hoinghi.local');
      expect(delivery.rcptTo.sort()).toEqual([site.email, ...site.otherContacts].sort());

      const mail = await parseMail(delivery.raw);
      expect(mail.subject).toBe(step.subject);
      expect(mail.from?.value).toEqual([{ name: 'Văn phòng UBND tỉnh', address: 'vanphong@hoinghi.local' }]);
      expect(mail.text).toContain(HOST_HALL);

      const parts = calendarParts(mail);
      expect(parts.contentTypeMethod).toBe(step.method);
      expect(parts.contentTypeCharset?.toLowerCase()).toBe('utf-8');
      expect(parts.attachmentFilename).toBe('invite.ics');
      expect(parts.attachmentIcs).toBe(parts.alternativeIcs);
      expectWellFormedContentLines(parts.alternativeIcs);

      const calendar = readWithBothParsers(parts.alternativeIcs);
      expect(calendar.method).toBe(parts.contentTypeMethod);
      expect(calendar.events).toHaveLength(1);
      const event = calendar.events[0]!;
      uids.add(event.uid);
      expect(event.sequence).toBe(step.sequence);
      expect(event.summary).toBe(MEETING_TITLE);
      expect(event.location).toBe(HOST_HALL);
      expect(event.description).toContain(MEETING_TITLE);
      expect(event.attendees.map((a) => [a.email, a.cn])).toEqual([[site.email, site.name]]);
      expect(event.status).toBe(step.method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED');
    }
    expect(uids.size).toBe(1);

    const [request, update] = await Promise.all(
      [0, 1].map(async (i) => readWithBothParsers(calendarParts(await parseMail(server.received[i]!.raw)).alternativeIcs).events[0]!),
    );
    expect(request?.start.toISOString()).toBe('2026-11-26T01:00:00.000Z');
    expect(request?.startWallClock).toBe('2026-11-26T08:00:00');
    expect(request?.endWallClock).toBe('2026-11-26T11:30:00');
    expect(update?.start.toISOString()).toBe('2026-11-26T02:00:00.000Z');
    expect(update?.startWallClock).toBe('2026-11-26T09:00:00');
  });

  it('sends every site its own calendar, with itself as the only attendee, through the pool', async () => {
    const { server, transport } = await smtpPair({}, 2);
    await Promise.all(SITES.map((site) => transport.send(composeInviteEmail(inviteFor(site)).message)));
    expect(server.received).toHaveLength(SITES.length);

    for (const site of SITES) {
      const delivery = server.received.find((d) => d.rcptTo.includes(site.email));
      expect(delivery, site.email).toBeDefined();
      const event = readWithBothParsers(calendarParts(await parseMail(delivery!.raw)).alternativeIcs).events[0]!;
      expect(event.attendees.map((a) => a.email)).toEqual([site.email]);
      expect(event.url).toBe(`https://hoinghi.local/join/7f1c2a9e?site=${site.id}&token=t-${site.id}`);
    }
  });

  it('reports a refused Cc mailbox without failing the invitation', async () => {
    const refusedCc = SITES[0]!.otherContacts[0]!;
    const { server, transport } = await smtpPair({
      refuseRecipient: (address) => (address === refusedCc ? { responseCode: 550, message: '5.1.1 Mailbox unavailable' } : undefined),
    });
    const result = await transport.send(composeInviteEmail(inviteFor(SITES[0]!)).message);
    expect(result.accepted).toEqual([SITES[0]!.email]);
    expect(result.rejected).toEqual([refusedCc]);
    expect(server.received).toHaveLength(1);
  });
});

describe.each(TRANSPORTS)('classifySendError on real SMTP failures $where', ({ create }) => {
  const smtpPair = (options?: TestSmtpServerOptions) => smtpPairWith(create, options);

  it('calls 421 at RCPT transient and keeps the reply code', async () => {
    const { transport } = await smtpPair({ refuseRecipient: () => ({ responseCode: 421, message: 'Service not available, try later' }) });
    const verdict = classifySendError(await failureOf(transport));
    expect(verdict).toMatchObject({ kind: 'transient', code: 421 });
    expect(verdict.reason).toContain('try later');
  });

  it('calls 550 at RCPT permanent', async () => {
    const { transport } = await smtpPair({ refuseRecipient: () => ({ responseCode: 550, message: '5.1.1 No such user' }) });
    expect(classifySendError(await failureOf(transport))).toMatchObject({ kind: 'permanent', code: 550 });
  });

  it('calls 451 at end of DATA transient and 554 permanent', async () => {
    const greylisted = await smtpPair({ refuseData: () => ({ responseCode: 451, message: '4.7.1 Greylisted' }) });
    expect(classifySendError(await failureOf(greylisted.transport))).toMatchObject({ kind: 'transient', code: 451 });
    const spam = await smtpPair({ refuseData: () => ({ responseCode: 554, message: '5.7.1 Rejected as spam' }) });
    expect(classifySendError(await failureOf(spam.transport))).toMatchObject({ kind: 'permanent', code: 554 });
  });

  it('calls a refused connection transient', async () => {
    const transport = transportOf(create, { url: `smtp://127.0.0.1:${await unusedPort()}`, maxConnections: 1, ratePerSecond: 10 });
    const verdict = classifySendError(await failureOf(transport));
    expect(verdict.kind).toBe('transient');
    expect(verdict.code).toBeUndefined();
  });

  it('calls a dropped connection and a server that never greets transient', async () => {
    for (const mode of ['drop', 'silent'] as const) {
      const server = await startMisbehavingServer(mode);
      cleanups.push(() => server.close());
      const transport = transportOf(create, {
        url: server.url,
        maxConnections: 1,
        ratePerSecond: 10,
        timeouts: { connection: 2_000, greeting: 500, socket: 2_000 },
      });
      const verdict = classifySendError(await failureOf(transport));
      expect(verdict.kind, mode).toBe('transient');
    }
  });
});

describe('classifySendError on errors without a live server', () => {
  it.each([
    [{ responseCode: 503, response: '503 5.5.1 Bad sequence of commands' }, 'transient', 503],
    [{ responseCode: 552, command: 'RCPT TO', response: '552 Too many recipients' }, 'transient', 552],
    [{ responseCode: 552, command: 'DATA', response: '552 Message size exceeds limit' }, 'permanent', 552],
    // Wrong credentials: the secretariat fixes SMTP_URL and the queued invitations still go.
    [{ responseCode: 535, code: 'EAUTH', response: '535 Authentication failed' }, 'transient', 535],
    [{ responseCode: 550, code: 'EENVELOPE', response: '550 5.1.1 No such user' }, 'permanent', 550],
  ] as const)('reply %o is %s', (fields, kind, code) => {
    const err = Object.assign(new Error('failed'), fields);
    expect(classifySendError(err)).toMatchObject({ kind, code });
  });

  it.each([
    ['ECONNECTION', 'transient'],
    ['ETIMEDOUT', 'transient'],
    ['EAUTH', 'transient'],
    ['ENOSPC', 'transient'],
    ['EENVELOPE', 'permanent'],
    ['EMESSAGE', 'permanent'],
  ] as const)('code %s without a reply is %s', (code, kind) => {
    expect(classifySendError(Object.assign(new Error('x'), { code }))).toMatchObject({ kind });
  });

  it('treats what it cannot recognise as transient', () => {
    expect(classifySendError(new TypeError('boom')).kind).toBe('transient');
    expect(classifySendError('a string').kind).toBe('transient');
    expect(classifySendError(undefined).kind).toBe('transient');
  });
});
