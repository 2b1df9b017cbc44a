/**
 * The cascade channel's liveness over a real WebSocket pair on loopback (short intervals given
 * to the constructor; the product's are 2 s pings and 10 s of silence): a peer whose event loop
 * stalls for several ping intervals keeps its link, a peer that answers nothing loses it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLog } from '../test-fixtures.ts';
import { CascadeChannel } from './channel.ts';

const Frame = z.object({ type: z.literal('x') });
const liveness = { pingMs: 50, silentLimitMs: 600 };
const opened: { server: http.Server; wss: WebSocketServer; client: WebSocket }[] = [];

/** A server-side CascadeChannel and the raw client socket at the other end. */
async function pair(clientOptions: WebSocket.ClientOptions = {}) {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, clientOptions);
  opened.push({ server, wss, client });
  const channel = new CascadeChannel(await accepted, Frame, silentLog, liveness);
  await new Promise((resolve) => client.once('open', resolve));
  return { channel, client };
}

afterEach(async () => {
  for (const { server, wss, client } of opened.splice(0)) {
    client.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

const closedWithin = (channel: CascadeChannel<{ type: 'x' }, { type: 'x' }>, ms: number) =>
  Promise.race([channel.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('the cascade channel’s liveness', () => {
  it('keeps the link of a peer that stalls for several pings, as a busy node does', async () => {
    const { channel } = await pair();
    // This process stalls (both ends are here): six pings go by unanswered, less than the limit.
    const until = Date.now() + 6 * liveness.pingMs;
    while (Date.now() < until) {
      /* busy, as a node giving hundreds of sites a floor */
    }
    expect(await closedWithin(channel, 4 * liveness.pingMs)).toBe(false);
    expect(channel.open).toBe(true);
  });

  it('ends the link of a peer that answers nothing', async () => {
    const { channel } = await pair({ autoPong: false });
    expect(await closedWithin(channel, liveness.silentLimitMs + 10 * liveness.pingMs)).toBe(true);
  });
});
