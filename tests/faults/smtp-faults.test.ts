/**
 * SMTP faults beyond refusals: a relay that drops the connection in the middle of DATA, and one
 * that takes the whole message and then never answers. Either way the dispatcher must treat the
 * send as not delivered, retry after its back-off, and each (site, sequence) must arrive exactly
 * once at the relay.
 */
import type net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invites } from '../../db/schema.ts';
import { readArrival, testDispatcher, testTransport } from '../../api/invites/delivery.test-support.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../support/app.ts';

type Fault = 'drop-during-data' | 'hang-after-data';

interface FaultyRelay {
  url: string;
  received: { rcptTo: string[]; raw: Buffer }[];
  faulted: string[];
  close(): Promise<void>;
}

/** A real SMTP server that misbehaves once for each recipient in `victims`, then behaves. */
async function startFaultyRelay(fault: Fault, victims: Set<string>): Promise<FaultyRelay> {
  const received: FaultyRelay['received'] = [];
  const faulted: string[] = [];
  const hung: Array<() => void> = [];
  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const rcpt = session.envelope.rcptTo[0]?.address ?? '';
      const misbehave = victims.delete(rcpt);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (misbehave && fault === 'drop-during-data' && chunks.length === 1) {
          faulted.push(rcpt);
          // Hang up with the message half transferred, as a relay that crashes would.
          const connections = (server as unknown as { connections: Set<{ id: string; _socket: net.Socket }> }).connections;
          for (const connection of connections) if (connection.id === session.id) connection._socket.destroy();
        }
      });
      stream.on('end', () => {
        if (misbehave && fault === 'hang-after-data') {
          faulted.push(rcpt);
          // The whole message arrived, but no reply ever comes: not delivered.
          hung.push(() => callback(new Error('abandoned')));
          return;
        }
        if (misbehave) return; // dropped mid-DATA: the socket is gone, nothing was accepted
        received.push({ rcptTo: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        callback(null);
      });
    },
  });
  // A socket this relay cuts mid-message is reported by smtp-server as an 'error' on the server:
  // it is the fault under test, so it is heard here rather than left an uncaught exception.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as net.AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    faulted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of hung) release();
        server.close(() => resolve());
      }),
  };
}

describe.each(['drop-during-data', 'hang-after-data'] as const)('a relay that fails with %s', (fault) => {
  let t: TestApp;
  let relay: FaultyRelay;
  let victims: Set<string>;

  beforeAll(async () => {
    t = await createTestApp('pglite', { provinces: ['44'] });
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { contactEmails: string[]; kind: string }[];
    // Three communes' first message fails.
    victims = new Set(
      sites
        .filter((s) => s.kind === 'commune')
        .slice(0, 3)
        .map((s) => s.contactEmails[0]!),
    );
    relay = await startFaultyRelay(fault, new Set(victims));
  });
  afterAll(async () => {
    await relay?.close();
    await t?.close();
  });

  it('retries the failed sends and delivers every (site, sequence) exactly once', async () => {
    const hall = ((await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string; unitCode: string }[]).find(
      (h) => h.unitCode === '44',
    )!.id;
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title: 'Họp khi máy chủ thư trục trặc',
        hostSiteId: hall,
        startsAt: new Date(TEST_NOW.getTime() + 24 * 3600_000).toISOString(),
        endsAt: new Date(TEST_NOW.getTime() + 26 * 3600_000).toISOString(),
        unitCodes: ['44'],
      },
    });
    expect(created.status).toBe(201);
    // Short socket timeout so the hung relay is given up on quickly.
    const transport = testTransport(relay.url, 5, { socket: 10_000 });
    const dispatcher = testDispatcher(t, transport);
    try {
      await dispatcher.drain();
      expect(relay.faulted.sort()).toEqual([...victims].sort());
      const rows = await t.database.db.select().from(invites).where(eq(invites.meetingId, created.body.id));
      const pending = rows.filter((r) => r.status !== 'sent');
      expect(pending).toHaveLength(3);
      for (const row of pending) {
        expect(row.status).toBe('queued');
        expect(row.lastError).toBeTruthy();
      }
      // After the back-off the dispatcher tries again and the relay behaves.
      t.clock.now = new Date(TEST_NOW.getTime() + 2 * 3600_000);
      await dispatcher.drain();
      const after = await t.database.db.select().from(invites).where(eq(invites.meetingId, created.body.id));
      expect(after.filter((r) => r.status === 'sent')).toHaveLength(79);

      const perSiteAndSequence = new Map<string, number>();
      for (const mail of relay.received) {
        const arrival = await readArrival({ mailFrom: '', rcptTo: mail.rcptTo, raw: mail.raw });
        const key = `${arrival.to} ${arrival.event!.sequence}`;
        perSiteAndSequence.set(key, (perSiteAndSequence.get(key) ?? 0) + 1);
      }
      expect(perSiteAndSequence.size).toBe(79);
      expect([...perSiteAndSequence.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await dispatcher.close();
      await transport.close();
    }
  });
});
