/**
 * The lossy relay on its own, between two plain UDP sockets: it drops about the fraction asked,
 * the same packets for the same seed, delays each packet at least as asked and keeps their
 * order, impairs each direction as configured, ignores strangers, and refuses bad options.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { LossyRelay, type LossyRelayOptions } from './lossy-relay.ts';

const LOOPBACK = '127.0.0.1';
const opened: (dgram.Socket | LossyRelay)[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, LOOPBACK);
  await once(s, 'listening');
  opened.push(s);
  return s;
}

/** Two sides and a relay between them; each side records the numbers it hears, and when. */
async function link(impairment: Omit<LossyRelayOptions, 'a' | 'b'>) {
  const a = await socket();
  const b = await socket();
  const relay = await LossyRelay.open({ a: { ip: LOOPBACK, port: a.address().port }, b: { ip: LOOPBACK, port: b.address().port }, ...impairment });
  opened.push(relay);
  const heard = { a: [] as { n: number; at: number }[], b: [] as { n: number; at: number }[] };
  a.on('message', (m) => heard.a.push({ n: m.readUInt32BE(0), at: performance.now() }));
  b.on('message', (m) => heard.b.push({ n: m.readUInt32BE(0), at: performance.now() }));
  const packet = (n: number) => {
    const p = Buffer.alloc(32);
    p.writeUInt32BE(n, 0);
    return p;
  };
  /** Sends `count` numbered packets from a side, in batches so no socket buffer overflows. */
  const send = async (from: 'a' | 'b', count: number) => {
    const sender = from === 'a' ? a : b;
    const port = from === 'a' ? relay.portForA : relay.portForB;
    const sentAt: number[] = [];
    for (let n = 0; n < count; n++) {
      sentAt.push(performance.now());
      sender.send(packet(n), port, LOOPBACK);
      if (n % 100 === 99) await new Promise((r) => setTimeout(r, 5));
    }
    return sentAt;
  };
  return { relay, heard, send, a, b };
}

const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms));
/** Waits for what must arrive (a loaded machine reads late), then a little longer for strays. */
async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await settle(20);
  await settle(100);
}

describe('LossyRelay', () => {
  it('drops about the fraction asked, and the same packets for the same seed', async () => {
    const runs = await Promise.all([1, 2].map(() => link({ aToB: { loss: 0.1 }, seed: 7 })));
    const other = await link({ aToB: { loss: 0.1 }, seed: 8 });
    for (const r of [...runs, other]) await r.send('a', 2000);
    await until(() => [...runs, other].every((r) => r.relay.aToB.forwarded + r.relay.aToB.dropped === 2000 && r.heard.b.length === r.relay.aToB.forwarded));
    for (const r of [...runs, other]) {
      expect(r.relay.aToB.forwarded + r.relay.aToB.dropped).toBe(2000);
      expect(r.relay.aToB.dropped).toBeGreaterThan(140);
      expect(r.relay.aToB.dropped).toBeLessThan(260);
      expect(r.heard.b).toHaveLength(r.relay.aToB.forwarded);
    }
    const received = (r: (typeof runs)[number]) => r.heard.b.map((h) => h.n);
    expect(received(runs[0]!)).toEqual(received(runs[1]!));
    expect(received(other)).not.toEqual(received(runs[0]!));
  });

  it('delays every packet at least as asked and keeps their order', async () => {
    const r = await link({ aToB: { delayMs: 40 } });
    const sentAt = await r.send('a', 200);
    await until(() => r.heard.b.length === 200);
    expect(r.heard.b.map((h) => h.n)).toEqual(sentAt.map((_, n) => n));
    // timers may round a millisecond down; never more
    for (const h of r.heard.b) expect(h.at - sentAt[h.n]!).toBeGreaterThanOrEqual(39);
    expect(r.relay.aToB).toEqual({ forwarded: 200, dropped: 0 });
  });

  it('impairs each direction as configured', async () => {
    const r = await link({ aToB: { loss: 0 }, bToA: { loss: 1 } });
    await r.send('a', 100);
    await r.send('b', 100);
    await until(() => r.heard.b.length === 100 && r.relay.bToA.dropped === 100);
    expect(r.heard.b).toHaveLength(100);
    expect(r.heard.a).toHaveLength(0);
    expect(r.relay.bToA).toEqual({ forwarded: 0, dropped: 100 });
  });

  it('ignores packets from anyone but the side a socket faces', async () => {
    const r = await link({});
    const stranger = await socket();
    stranger.send(Buffer.alloc(32), r.relay.portForA, LOOPBACK);
    stranger.send(Buffer.alloc(32), r.relay.portForB, LOOPBACK);
    await settle();
    expect(r.heard.a).toHaveLength(0);
    expect(r.heard.b).toHaveLength(0);
    expect(r.relay.aToB.forwarded + r.relay.bToA.forwarded).toBe(0);
  });

  it('closes once, dropping what is still delayed', async () => {
    const r = await link({ aToB: { delayMs: 200 } });
    await r.send('a', 10);
    r.relay.close();
    r.relay.close();
    await settle(400);
    expect(r.heard.b).toHaveLength(0);
  });

  it('refuses options out of range', async () => {
    const a = { ip: LOOPBACK, port: 1000 };
    await expect(LossyRelay.open({ a, b: { ip: LOOPBACK, port: 0 } })).rejects.toThrow();
    await expect(LossyRelay.open({ a, b: a, aToB: { loss: 1.5 } })).rejects.toThrow();
    await expect(LossyRelay.open({ a, b: a, bToA: { delayMs: -1 } })).rejects.toThrow();
    await expect(LossyRelay.open({ a, b: a, seed: 0.5 })).rejects.toThrow();
  });
});
