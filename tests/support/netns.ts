/**
 * A private network for browser tests that cannot use loopback for media. Firefox ESR neither
 * gathers nor pairs loopback ICE candidates (media.peerconnection.ice.loopback has no effect in
 * ESR 153), and Chromium gathers only the machine's own interfaces, so without this a browser
 * would exchange media through the machine's real address. Tests may send traffic only to
 * loopback or to addresses they create themselves; this module creates them:
 *
 *   root namespace                         namespace `hoinghi-br-<pid>` (created here)
 *   SFU media sockets on hostAddress  <--veth-->  browserAddress: the browsers' only interface
 *   app on 127.0.0.1:port  <-- TCP forwarding -->  127.0.0.1:port (the same origin for pages)
 *   127.0.0.1:q (puppeteer)  -- TCP forwarding -->  127.0.0.1:q (Firefox's WebDriver BiDi port)
 *
 * The browsers run inside the namespace (their executables wrapped in `ip netns exec`), so
 * every packet they send goes to the namespace's loopback or across the veth pair to
 * hostAddress, and the SFU answers only to browserAddress. Addresses come from 198.18.0.0/15,
 * the range set aside for network tests (RFC 2544), one /30 per test process. Needs iproute2
 * and CAP_NET_ADMIN (root); close() removes the namespace, which removes the veth pair.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { forward, type Route } from './tcp-forward.ts';

const run = promisify(execFile);
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find(existsSync) ?? 'ip';

export interface BrowserNetwork {
  /** The root namespace's end of the veth pair: the SFU's media sockets listen here. */
  readonly hostAddress: string;
  /** The namespace's end: the browsers' only address besides their own loopback. */
  readonly browserAddress: string;
  /** Path of a script that runs `executable` (with its arguments) inside the namespace. */
  wrap(executable: string): string;
  /**
   * Starts the TCP forwarding: each of hostPorts (served on 127.0.0.1 here) becomes reachable
   * on 127.0.0.1 inside the namespace, each of browserPorts (listened on by a browser inside)
   * on 127.0.0.1 here. Called once.
   */
  forwardPorts(ports: { hostPorts: number[]; browserPorts: number[] }): Promise<void>;
  close(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run(IP, args);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('the browser network needs the `ip` command (Debian package iproute2)');
    throw new Error(`ip ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr?.trim() || String(err)}`);
  }
}

export async function createBrowserNetwork(): Promise<BrowserNetwork> {
  if (process.getuid?.() !== 0) throw new Error('the browser network creates a network namespace and a veth pair: it must run as root (CAP_NET_ADMIN)');
  const name = `hoinghi-br-${process.pid}`;
  // Interface names are limited to 15 characters; a pid has at most 7 digits.
  const hostSide = `hbr${process.pid}h`;
  const browserSide = `hbr${process.pid}b`;
  const block = process.pid % 16384;
  const prefix = `198.18.${block >> 6}.`;
  const hostAddress = `${prefix}${(block & 63) * 4 + 1}`;
  const browserAddress = `${prefix}${(block & 63) * 4 + 2}`;
  const scripts = mkdtempSync(path.join(os.tmpdir(), 'hoinghi-netns-'));

  // A namespace of the same name is a leftover of a killed run of a process with this pid.
  await ip('netns', 'del', name).catch(() => {});
  await ip('netns', 'add', name);
  let child: ChildProcess | undefined;
  let stopHostRoutes: (() => Promise<void>) | undefined;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await stopHostRoutes?.();
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGTERM');
        const kill = setTimeout(() => child!.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(kill);
      }
      await ip('netns', 'del', name);
      rmSync(scripts, { recursive: true, force: true });
    })());
  try {
    await ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', browserSide, 'netns', name);
    await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostSide);
    await ip('link', 'set', hostSide, 'up');
    await ip('-n', name, 'addr', 'add', `${browserAddress}/30`, 'dev', browserSide);
    await ip('-n', name, 'link', 'set', browserSide, 'up');
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    // Firefox counts itself offline, and gathers no ICE candidate at all, in a namespace without
    // a default route. The route leads only into this machine's root namespace, which does not
    // forward (net.ipv4.ip_forward is 0 on test machines), and the browsers are told no address
    // but the SFU's and 127.0.0.1; the test checks where the media actually went.
    await ip('-n', name, 'route', 'add', 'default', 'via', hostAddress);
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }

  return {
    hostAddress,
    browserAddress,
    wrap(executable) {
      const script = path.join(scripts, path.basename(executable));
      writeFileSync(script, `#!/bin/sh\nexec ${IP} netns exec ${name} ${executable} "$@"\n`);
      chmodSync(script, 0o755);
      return script;
    },
    async forwardPorts({ hostPorts, browserPorts }) {
      const loopback = (port: number) => ({ host: '127.0.0.1', port });
      const inside: Route[] = [
        ...hostPorts.map((port) => ({ listen: loopback(port), connect: { host: hostAddress, port } })),
        ...browserPorts.map((port) => ({ listen: { host: browserAddress, port }, connect: loopback(port) })),
      ];
      const outside: Route[] = [
        ...hostPorts.map((port) => ({ listen: { host: hostAddress, port }, connect: loopback(port) })),
        ...browserPorts.map((port) => ({ listen: loopback(port), connect: { host: browserAddress, port } })),
      ];
      stopHostRoutes = await forward(outside);
      const childScript = fileURLToPath(new URL('./tcp-forward-child.ts', import.meta.url));
      child = spawn(IP, ['netns', 'exec', name, process.execPath, '--import', 'tsx', childScript, JSON.stringify(inside)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child!.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('ready\n')) resolve();
        });
        child!.once('exit', (code) => reject(new Error(`the forwarder inside ${name} exited (${code}) before it was ready`)));
      });
    },
    close,
  };
}
