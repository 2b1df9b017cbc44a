/**
 * Survival at the edge: raw bytes from a stranger, below Hono, against the real server process
 * (`node --import tsx server/main.ts`, tests/support/server-process.ts).
 *
 * Proven:
 *  - a fuzzer over node:net (fixed seed, FUZZ_EDGE_RUNS cases, 2,000 by default) sends request
 *    lines with odd targets (`//`, `//[`, `//:99999`, absolute-form, `*`, 8 KB, non-ASCII, NUL),
 *    odd methods and versions, odd headers, and upgrade requests on every route of the fuzz
 *    tables and with broken keys and versions; after each case the process is alive and
 *    `/healthz` answers. A malformed target gets 400 (plain or upgrade), an upgrade to a path
 *    other than /ws gets 404, and every refused upgrade's socket is closed by the server;
 *  - 300 upgrade requests to a non-WebSocket path, held open by their clients, are all answered
 *    and closed by the server within the configured header deadline;
 *  - a request whose headers never finish, and a socket that sends nothing, are cut at the
 *    configured header deadline.
 * Not proven here: frame floods over an open WebSocket (flood.browser.test.ts,
 * sfu/signaling.test.ts).
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { API_ROUTES, PAGE_ROUTES } from './fuzz-routes.ts';

vi.setConfig({ testTimeout: 600_000, hookTimeout: 180_000 });

const RUNS = Number(process.env.FUZZ_EDGE_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
/** The header deadline the server runs with here (HTTP_HEADERS_TIMEOUT_MS). */
const HEADERS_TIMEOUT_MS = 2000;

let server: ServerProcess;
let port: number;

beforeAll(async () => {
  server = await startServerProcess({
    HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    HTTP_REQUEST_TIMEOUT_MS: '5000',
  });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.dispose();
});

interface RawAnswer {
  /** Everything the server sent. */
  text: string;
  /** The status of the first response, if any arrived. */
  status: number | undefined;
  /** The server ended the connection (FIN or reset) before we gave up waiting. */
  closedByServer: boolean;
  /** Milliseconds from the request's last byte to the server's close. */
  closedAfterMs: number | undefined;
}

/**
 * Sends `bytes` on a fresh socket and collects the answer until the server closes, or it has
 * been quiet for `quietMs` after answering, or `capMs` have passed.
 */
function sendRaw(bytes: Buffer, { quietMs = 25, capMs = 400 } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let sentAt = 0;
    let quiet: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(quiet);
      clearTimeout(cap);
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      socket.destroy();
      resolve({ text, status: status ? Number(status) : undefined, closedByServer, closedAfterMs: closedByServer ? Date.now() - sentAt : undefined });
    };
    const cap = setTimeout(() => finish(false), capMs);
    socket.on('connect', () => socket.write(bytes, () => (sentAt = Date.now())));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(false), quietMs);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

/** The process is running and /healthz answers 200 { ok: true } within 5 s. */
async function expectAlive(): Promise<void> {
  expect(server.child.exitCode, 'server process exited').toBeNull();
  expect(server.child.signalCode, 'server process killed').toBeNull();
  const response = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ ok: true });
}

// ---------------------------------------------------------------------------------------------
// What a stranger sends
// ---------------------------------------------------------------------------------------------

/** Every route the fuzz tables know, with its parameters filled in, and the WebSocket path. */
const ROUTE_PATHS = [...Object.keys(API_ROUTES), ...Object.keys(PAGE_ROUTES)]
  .map((key) => key.split(' ')[1]!)
  .filter((p) => p.startsWith('/'))
  .map((p) => p.replace(/:[a-zA-Z]+/g, randomUUID()))
  .concat(['/ws', '/ws?meetingId=' + randomUUID(), '/', '/nope']);

/** Request targets URL parsers and routers trip over. */
const ODD_TARGETS = [
  '//',
  '//[',
  '//:99999',
  '//ws',
  '//evil.example/ws',
  '/\\ws',
  '\\\\',
  '*',
  'http://127.0.0.1/healthz',
  'http://[::1',
  'https://x:99999/',
  'ws://127.0.0.1/ws',
  'mailto:x@y',
  '',
  '/%',
  '/%00',
  '/%ff%fe',
  '/ws%00',
  '/..%2f..%2fetc/passwd',
  '/?a=%',
  '/#frag',
  `/${'a'.repeat(8192)}`,
  `/ws?meetingId=${'9'.repeat(8192)}`,
  '/Hội nghị',
  '/\u0000',
  '/\u0000/ws',
  'ws',
  '/ws/',
  '/WS',
];
/** Targets the server must refuse with 400, plain or upgrade. */
const MALFORMED = new Set(['//', '//[', '//:99999', '//ws', '//evil.example/ws', '/\\ws', '\\\\', 'http://[::1', 'https://x:99999/', 'mailto:x@y']);

const target = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_TARGETS) },
  { weight: 3, arbitrary: fc.constantFrom(...ROUTE_PATHS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `/${s}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 60 }) },
);
const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH') },
  { weight: 2, arbitrary: fc.constantFrom('CONNECT', 'TRACE', 'PRI', 'get', 'G ET', 'BREW', 'M-SEARCH', 'SOURCE', '', 'GET\u0000') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }) },
);
const version = fc.oneof(
  { weight: 6, arbitrary: fc.constant('HTTP/1.1') },
  { weight: 2, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/9.9', 'HTTP/1.1x', 'http/1.1', '', 'HTTP/1.1 extra') },
);
const wsKey = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64')) },
  { weight: 2, arbitrary: fc.constantFrom('', 'not-base64!!', 'AAAA', 'x'.repeat(300), 'dGhlIHNhbXBsZSBub25jZQ=') },
);
const upgradeHeaders = fc.record({
  connection: fc.constantFrom('Upgrade', 'upgrade', 'keep-alive, Upgrade', 'close', 'Upgrade\u0000'),
  upgrade: fc.constantFrom('websocket', 'WebSocket', 'h2c', 'websocket, h2c', ''),
  version: fc.constantFrom('13', '8', '', 'x', '13, 8'),
  key: fc.option(wsKey, { nil: undefined }),
  origin: fc.constantFrom('same', 'https://evil.example', 'null', 'none'),
});
const extraHeader = fc.constantFrom(
  'Content-Length: 5\r\n',
  'Content-Length: -1\r\n',
  'Content-Length: 99999999999999999999\r\n',
  'Content-Length: 1\r\nContent-Length: 2\r\n',
  'Transfer-Encoding: chunked\r\n',
  'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n',
  'Host: second.example\r\n',
  `X-Long: ${'v'.repeat(20_000)}\r\n`,
  'Bad Header Name: x\r\n',
  'X-Nul: a\u0000b\r\n',
  'X-Latin: Hội nghị\r\n',
  ' folded: continuation\r\n',
  'Cookie: hoinghi_signin=x; ' + 'a=b; '.repeat(200) + '\r\n',
  'Expect: 100-continue\r\n',
);
const ending = fc.constantFrom('\r\n\r\n', '\r\n\r\n', '\r\n\r\n', '\n\n', '\r\n\r\nhello', '\r\n\r\n0\r\n\r\n', '\r\n\r\nzz\r\n');

/** Anything goes. */
const wildCase = fc.record({
  method,
  target,
  version,
  host: fc.constantFrom('ours', 'ours', 'none', 'empty', '[::1', 'x'.repeat(300)),
  upgrade: fc.option(upgradeHeaders, { nil: undefined, freq: 2 }),
  extras: fc.array(extraHeader, { maxLength: 2 }),
  ending,
});
type EdgeCase = typeof wildCase extends fc.Arbitrary<infer T> ? T : never;
/** A request Node's parser accepts, often a browser-like upgrade: only its target is odd. */
const cleanCase: fc.Arbitrary<EdgeCase> = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'),
  target,
  version: fc.constant('HTTP/1.1'),
  host: fc.constant('ours'),
  upgrade: fc.option(
    fc.record({
      connection: fc.constant('Upgrade'),
      upgrade: fc.constant('websocket'),
      version: fc.constantFrom('13', '13', '8', ''),
      key: fc.option(wsKey, { nil: undefined, freq: 5 }),
      origin: fc.constantFrom('same', 'same', 'https://evil.example', 'none'),
    }),
    { nil: undefined, freq: 3 },
  ),
  extras: fc.constant([]),
  ending: fc.constant('\r\n\r\n'),
});
const edgeCase = fc.oneof(wildCase, cleanCase);

function render(c: EdgeCase): Buffer {
  let head = `${c.method} ${c.target}${c.version ? ` ${c.version}` : ''}\r\n`;
  if (c.host === 'ours') head += `Host: 127.0.0.1:${port}\r\n`;
  else if (c.host === 'empty') head += 'Host: \r\n';
  else if (c.host !== 'none') head += `Host: ${c.host}\r\n`;
  if (c.upgrade) {
    head += `Connection: ${c.upgrade.connection}\r\nUpgrade: ${c.upgrade.upgrade}\r\n`;
    if (c.upgrade.version) head += `Sec-WebSocket-Version: ${c.upgrade.version}\r\n`;
    if (c.upgrade.key !== undefined) head += `Sec-WebSocket-Key: ${c.upgrade.key}\r\n`;
    if (c.upgrade.origin === 'same') head += `Origin: ${server.url}\r\n`;
    else if (c.upgrade.origin !== 'none') head += `Origin: ${c.upgrade.origin}\r\n`;
  }
  for (const h of c.extras) head += h;
  // Header text goes out as UTF-8, the way a careless client writes it.
  return Buffer.from(head.slice(0, -2) + c.ending, 'utf8');
}

/** A request Node's parser accepts as far as the target: the route decides its answer. */
function wellFormed(c: EdgeCase): boolean {
  return (
    ['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'].includes(c.method) &&
    c.version === 'HTTP/1.1' &&
    c.host === 'ours' &&
    c.extras.length === 0 &&
    c.ending === '\r\n\r\n'
  );
}

/** A websocket upgrade as a browser would send it (the server must then look at the target). */
function browserLikeUpgrade(c: EdgeCase): boolean {
  return wellFormed(c) && c.method === 'GET' && c.upgrade?.connection === 'Upgrade' && c.upgrade.upgrade === 'websocket';
}

describe('the HTTP edge', () => {
  it(`survives ${RUNS} generated raw requests: the process lives, /healthz answers, malformed targets get 400 and stray upgrades 404`, async () => {
    await expectAlive();
    const seen = { cases: 0, upgrades: 0, malformed400: 0, stray404: 0 };
    await fc.assert(
      fc.asyncProperty(edgeCase, async (c) => {
        seen.cases++;
        const answer = await sendRaw(render(c));
        if (wellFormed(c) && MALFORMED.has(c.target)) {
          expect(answer.status, `${c.method} ${c.target}`).toBe(400);
          seen.malformed400++;
        }
        if (browserLikeUpgrade(c)) {
          seen.upgrades++;
          const path = c.target.split('?')[0];
          if (!MALFORMED.has(c.target) && ROUTE_PATHS.includes(c.target) && path !== '/ws') {
            expect(answer.status, `upgrade to ${c.target}`).toBe(404);
            seen.stray404++;
          }
          // A refused upgrade is closed by the server, never left open.
          if (answer.status !== undefined && answer.status !== 101) {
            const closed = answer.closedByServer || (await sendRaw(render(c), { quietMs: 1500, capMs: 1500 })).closedByServer;
            expect(closed, `refused upgrade to ${c.target} left open`).toBe(true);
          }
        }
        await expectAlive();
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // The generator reached the cases that matter (a bad seed or generator would not).
    expect(seen.cases).toBe(RUNS);
    if (RUNS >= 2000) {
      expect(seen.malformed400).toBeGreaterThan(20);
      expect(seen.stray404).toBeGreaterThan(20);
    }
  });

  it('answers the upgrades that used to end the process (`//`, `//[`, `//:99999`) with 400 and closes them', async () => {
    for (const t of ['//', '//[', '//:99999']) {
      const bytes = Buffer.from(`GET ${t} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
      const answer = await sendRaw(bytes, { quietMs: 2000, capMs: 2000 });
      expect(answer.status, t).toBe(400);
      expect(answer.closedByServer, t).toBe(true);
      await expectAlive();
    }
  });

  it('closes 300 upgrade requests to a non-WebSocket path within the header deadline', async () => {
    const key = Buffer.alloc(16, 7).toString('base64');
    const request = Buffer.from(
      `GET /api/meetings HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\nOrigin: ${server.url}\r\n\r\n`,
    );
    // The clients never close their side: only the server can end these sockets.
    const answers = await Promise.all(
      Array.from({ length: 300 }, () => sendRaw(request, { quietMs: HEADERS_TIMEOUT_MS + 3000, capMs: HEADERS_TIMEOUT_MS + 3000 })),
    );
    const late = answers.filter((a) => !a.closedByServer || a.closedAfterMs! > HEADERS_TIMEOUT_MS + 1000);
    expect(late.length, `${late.length} of 300 not closed in time`).toBe(0);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 404));
    await expectAlive();
  });

  it('cuts a socket whose headers never finish, or that sends nothing, at the header deadline', async () => {
    for (const bytes of [Buffer.from(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `), Buffer.alloc(0)]) {
      const started = Date.now();
      const answer = await sendRaw(bytes, { quietMs: HEADERS_TIMEOUT_MS + 5000, capMs: HEADERS_TIMEOUT_MS + 5000 });
      expect(answer.closedByServer).toBe(true);
      expect(Date.now() - started).toBeLessThan(HEADERS_TIMEOUT_MS + 2000);
    }
    await expectAlive();
  });
});
