/**
 * SFU_ANNOUNCED_ADDRESS as a DNS name: the candidates a join receives carry an IP literal
 * (Firefox refuses a name and gets no media), through the real signaling endpoint with a real
 * mediasoup worker; a name that does not resolve stops the start-up with a reason; a later
 * answer replaces the first in the candidates, and a failed refresh keeps the last one.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { isIP } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnouncedAddress } from './announced-address.ts';
import { createSfu, type Sfu } from './index.ts';
import { MemoryAttendanceSink, TestClient, TokenTableAuthenticator, eventually, listen, silentLog, testConfig } from './test-fixtures.ts';

describe('a DNS name in SFU_ANNOUNCED_ADDRESS', () => {
  const auth = new TokenTableAuthenticator();
  let sfu: Sfu;
  let server: http.Server;
  let url: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    sfu = await createSfu({
      config: testConfig(42000, { SFU_WORKERS: '1', SFU_ANNOUNCED_ADDRESS: 'localhost', SFU_RTC_MIN_PORT: '42100', SFU_RTC_MAX_PORT: '42999' }),
      authenticator: auth,
      attendanceSink: new MemoryAttendanceSink(),
      logger: silentLog,
    });
    server = http.createServer((_req, res) => res.writeHead(404).end());
    sfu.attach(server);
    url = await listen(server);
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await sfu?.close();
    await new Promise((r) => server?.close(r));
  });

  it('reaches the browser as an IP literal in every ICE candidate of both transports', async () => {
    const meetingId = randomUUID();
    const { token } = auth.issueJoinToken(meetingId, 'Xã Tên Miền');
    const c = await TestClient.connect(url);
    clients.push(c);
    await c.ok('join', { joinToken: token });
    for (const direction of ['send', 'recv'] as const) {
      const { iceCandidates } = await c.ok('createTransport', { direction });
      // UDP and TCP, each with the name resolved to this machine's loopback address
      expect(iceCandidates.map((x: { protocol: string }) => x.protocol).sort()).toEqual(['tcp', 'udp']);
      for (const candidate of iceCandidates) {
        expect(candidate.ip).toBe('127.0.0.1');
        expect(isIP(candidate.ip)).toBe(4);
        if ('address' in candidate) expect(candidate.address).toBe('127.0.0.1');
      }
    }
  });
});

describe('resolving the announced address', () => {
  it('passes IP literals through untouched and without a timer', async () => {
    const announced = await AnnouncedAddress.start('203.0.113.7', { refreshMs: 10, log: silentLog });
    expect(announced.rewrite([{ ip: '127.0.0.1', address: '127.0.0.1', port: 1 }])).toEqual([{ ip: '203.0.113.7', address: '203.0.113.7', port: 1 }]);
    announced.close();
    const none = await AnnouncedAddress.start(undefined, { refreshMs: 10, log: silentLog });
    expect(none.rewrite([{ ip: '127.0.0.1', port: 1 }])).toEqual([{ ip: '127.0.0.1', port: 1 }]);
  });

  it('refuses to start when the name does not resolve, naming it', async () => {
    // .invalid never resolves (RFC 2606)
    await expect(AnnouncedAddress.start('sfu.hoinghi.invalid', { refreshMs: 60_000, log: silentLog })).rejects.toThrow(
      /SFU_ANNOUNCED_ADDRESS sfu\.hoinghi\.invalid does not resolve/,
    );
  });

  it('follows a changed answer on the timer and keeps the last good one when a lookup fails', async () => {
    // The resolver stands in for DNS answers changing over time (the real lookup is proved above).
    const answers: Array<string | Error> = ['198.51.100.1', '198.51.100.2', new Error('SERVFAIL')];
    const announced = await AnnouncedAddress.start('sfu.example.vn', {
      refreshMs: 20,
      log: silentLog,
      resolve: async () => {
        const next = answers.length > 1 ? answers.shift()! : answers[0]!;
        if (next instanceof Error) throw next;
        return next;
      },
    });
    try {
      expect(announced.current).toBe('198.51.100.1');
      await eventually(() => announced.current === '198.51.100.2', 2000);
      expect(announced.rewrite([{ ip: '198.51.100.1', port: 40000 }])).toEqual([{ ip: '198.51.100.2', port: 40000 }]);
      // every later lookup fails: the address stays
      await new Promise((r) => setTimeout(r, 100));
      expect(answers).toEqual([expect.any(Error)]);
      expect(announced.current).toBe('198.51.100.2');
    } finally {
      announced.close();
    }
  });
});
