/**
 * The real server (`server/main.ts`) as a child process, the way `npm start` runs it, for tests
 * that stop or crash the whole process: a temporary DATA_DIR, free ports on 127.0.0.1, a known
 * admin, JSON logs collected from stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './postgres-server.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ADMIN = { email: 'admin@test.hoinghi', password: 'correct horse battery staple' };

export interface ServerProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  /** Parsed JSON log lines so far (non-JSON lines are kept as { msg }). */
  logs: Record<string, unknown>[];
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Waits for a log line matching `msg`. */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Kills it if still running and removes DATA_DIR. */
  dispose(): Promise<void>;
}

export async function startServerProcess(env: Record<string, string> = {}, options: { startTimeoutMs?: number; port?: number } = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hoinghi-server-'));
  // A port chosen beforehand when the environment must name it (a media node's SFU_NODE_URL).
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const inherited = { ...process.env };
  // The child chooses its own database and mail: never a server the test run happens to name.
  for (const name of ['DATABASE_URL', 'SMTP_URL', 'PORT', 'HOST', 'PUBLIC_URL']) delete inherited[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...inherited,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      DATA_DIR: dataDir,
      MAIL_FOLDER_DIR: path.join(dataDir, 'outbox'),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'info',
      SFU_WORKERS: '1',
      SFU_WEBRTC_PORT_BASE: String(await freePort()),
      SFU_RTC_MIN_PORT: '27000',
      SFU_RTC_MAX_PORT: '27199',
      SFU_LOG_LEVEL: 'warn',
      ...env,
    },
  });
  const logs: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let partial = '';
  const onData = (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal, at: Date.now() });
      for (const l of [...listeners]) l();
    }),
  );
  let exitCode: number | null | undefined;
  void exited.then((e) => (exitCode = e.code));

  const waitForLog = (msg: string | RegExp, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const matches = (l: Record<string, unknown>) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg)));
      const check = () => {
        const found = logs.find(matches);
        if (found) {
          done();
          resolve(found);
        } else if (exitCode !== undefined) {
          done();
          reject(new Error(`server exited (${exitCode}) before logging ${msg}:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no log ${msg} in ${timeoutMs} ms:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const server: ServerProcess = {
    url,
    dataDir,
    child,
    logs,
    exited,
    waitForLog,
    async dispose() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await waitForLog('conference service ready', options.startTimeoutMs ?? 120_000);
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return server;
}

/** Signs in over HTTP and returns the sign-in cookie (`name=value`). */
export async function signIn(url: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`sign-in as ${email}: ${response.status} ${await response.text()}`);
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

/** JSON over HTTP as a signed-in user. */
export async function api(url: string, cookie: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${pathname}`, {
    method,
    headers: { cookie, origin: url, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}
