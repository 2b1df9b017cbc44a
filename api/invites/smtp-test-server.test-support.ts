/**
 * Test support: a real SMTP server (smtp-server) on 127.0.0.1 and a free port, auth and STARTTLS
 * off, that keeps what it receives and can answer RCPT or DATA with any reply code — so transport
 * tests exercise nodemailer's real protocol handling rather than a mock.
 */
import net from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
}

/** An SMTP reply the server gives instead of accepting. */
export interface SmtpRefusal {
  responseCode: number;
  message: string;
}

export interface TestSmtpServerOptions {
  /** Return a refusal to answer this RCPT TO with it. */
  refuseRecipient?: (address: string) => SmtpRefusal | undefined;
  /** Return a refusal to answer the end of DATA with it. */
  refuseData?: (session: SMTPServerSession) => SmtpRefusal | undefined;
}

export interface TestSmtpServer {
  url: string;
  port: number;
  received: ReceivedMail[];
  /**
   * Connection errors the server reported: a client killed mid-message resets its socket, and
   * smtp-server emits that as an 'error' on the server (it stays quiet only outside a transaction).
   * They are kept here for tests to read; unheard, they would be uncaught exceptions.
   */
  connectionErrors: Error[];
  close(): Promise<void>;
}

const refusalError = (refusal: SmtpRefusal): Error => Object.assign(new Error(refusal.message), { responseCode: refusal.responseCode });

export async function startTestSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const refusal = options.refuseRecipient?.(address.address);
      callback(refusal ? refusalError(refusal) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const refusal = options.refuseData?.(session);
        if (refusal) return callback(refusalError(refusal));
        const mailFrom = session.envelope.mailFrom;
        received.push({
          mailFrom: mailFrom ? mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const connectionErrors: Error[] = [];
  server.on('error', (error: Error) => connectionErrors.push(error));
  const port = (server.server.address() as net.AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    connectionErrors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A TCP server that misbehaves in the ways relays do under load: `drop` accepts and hangs up at
 * once, `silent` accepts and never greets.
 */
export async function startMisbehavingServer(mode: 'drop' | 'silent'): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    if (mode === 'drop') socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound, read, released. */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
