/**
 * A throwaway PostgreSQL cluster for the test run: initdb into a temporary folder, listen on
 * 127.0.0.1 at a free port, stop and delete at the end. initdb refuses to run as root, so as
 * root the cluster belongs to the `postgres` user. A missing server is an error, not a skip.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PostgresServer {
  url: string;
  dataDir: string;
  binDir: string;
  port: number;
  run(command: string): void;
  /** Like run, without blocking the event loop (a test keeps writing meanwhile). */
  runAsync(command: string): Promise<void>;
  /** Kills the server as a crash would: `pg_ctl stop -m immediate` (no checkpoint, recovery at start). */
  crash(): Promise<void>;
  /** Starts the server again with the same settings; resolves when it accepts connections. */
  start(): Promise<void>;
  stop(): void;
}

export function findPostgresBinaries(): string {
  const candidates = ['/usr/lib/postgresql'].filter(existsSync).flatMap((root) =>
    readdirSync(root)
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => path.join(root, v, 'bin')),
  );
  const found = candidates.find((dir) => existsSync(path.join(dir, 'initdb')));
  if (!found)
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: apt-get install postgresql (the .ci/run script does this)');
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const binDir = findPostgresBinaries();
  const base = mkdtempSync(path.join(os.tmpdir(), 'hoinghi-pg-'));
  const dataDir = path.join(base, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(base, uid, gid);
  }
  const run = (command: string) => {
    const full = `${binDir}/${command}`;
    if (asRoot) execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', full], { stdio: 'pipe' });
    else execFileSync('/bin/sh', ['-c', full], { stdio: 'pipe' });
  };
  run(`initdb -D ${dataDir} -A trust -U postgres -E UTF8 --locale=C.UTF-8 > ${base}/initdb.log 2>&1`);
  const runAsync = (command: string) =>
    new Promise<void>((resolve, reject) => {
      const full = `${binDir}/${command}`;
      const [file, args] = asRoot ? ['su', ['postgres', '-s', '/bin/sh', '-c', full]] : ['/bin/sh', ['-c', full]];
      execFile(file, args as string[], (error) => (error ? reject(error) : resolve()));
    });
  const startCommand = `pg_ctl -D ${dataDir} -l ${base}/server.log -w -o "-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start`;
  run(startCommand);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    binDir,
    port,
    run,
    runAsync,
    crash: () => runAsync(`pg_ctl -D ${dataDir} -m immediate -w stop`),
    start: () => runAsync(startCommand),
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run(`pg_ctl -D ${dataDir} -m fast -w stop`);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
}
