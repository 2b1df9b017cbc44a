/**
 * Plain TCP forwarding for tests/support/netns.ts: each route listens on one address and pipes
 * every connection to another. The test process runs the routes that listen in the root network
 * namespace; tcp-forward-child.ts runs those that listen inside the test's own namespace.
 */
import net from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
}

export interface Route {
  listen: Endpoint;
  connect: Endpoint;
}

/** Starts every route; resolves to a close() that stops listening and drops open connections. */
export async function forward(routes: readonly Route[]): Promise<() => Promise<void>> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const servers: net.Server[] = [];
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  };
  try {
    for (const { listen, connect } of routes) {
      const server = net.createServer((inbound) => {
        const outbound = net.connect(connect.port, connect.host);
        track(inbound);
        track(outbound);
        // Either side failing ends the other: a half-open pair would hold a browser's request
        // (or the WebDriver session) open forever.
        inbound.on('error', () => outbound.destroy());
        outbound.on('error', () => inbound.destroy());
        inbound.pipe(outbound);
        outbound.pipe(inbound);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listen.port, listen.host, () => resolve());
      });
      servers.push(server);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return close;
}
