/**
 * An in-process app on a test database with a pinned clock, and signed-in users of each role.
 * Requests go through `app.request()`, the same code path as real HTTP.
 */
import type { DestinationStream } from 'pino';
import { createApp } from '../../server/app.ts';
import { createServices, type AppServices } from '../../server/services.ts';
import { createUser } from '../../api/auth/users.ts';
import { parseConfig, type AppConfig } from '../../api/config.ts';
import type { AppContext, Role } from '../../api/context.ts';
import type { MailTransport } from '../../api/invites/mail-transport.ts';
import { createLogger } from '../../api/logger.ts';
import { seedAdministrativeTree } from '../../db/seed.ts';
import { openTestDatabase, type Driver, type TestDatabase } from './database.ts';

export type ScopedAccount = 'quangTriSecretariat' | 'hanoiLeader';

export const TEST_NOW = new Date('2026-12-01T08:00:00+07:00');

export interface TestApp {
  app: ReturnType<typeof createApp>;
  ctx: AppContext;
  services: AppServices;
  database: TestDatabase;
  clock: { now: Date };
  /**
   * Sign-in cookie header values: one national (VN) account per role, and, when their province
   * is seeded, a Quảng Trị (44) secretariat and a Hà Nội (01) leader. Never seeded by npm start.
   */
  cookies: Record<Role, string> & Partial<Record<ScopedAccount, string>>;
  /** Signs in a new account of the given role and unit; returns its cookie. */
  signInAs(role: Role, unitCode: string, email?: string): Promise<string>;
  request(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; cookie?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  const parsed = parseConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'http://hoinghi.test', DATA_DIR: '/nonexistent', ...overrides });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.config;
}

export interface TestAppOptions {
  /** Seed only these provinces (default all 34). */
  provinces?: string[];
  config?: Record<string, string>;
  /** Follow the real clock instead of TEST_NOW (tests with a browser, whose clock is real). */
  realClock?: boolean;
  /** How mail leaves (password-reset links); default: the configuration's (a mail folder under DATA_DIR). */
  mail?: MailTransport;
  /** Where log lines go (with config LOG_LEVEL); tests that read the logs pass a stream. */
  logDestination?: DestinationStream;
  /** Mail sent at once (calendar links from the directory); invitations go through a test dispatcher. */
  mailTransport?: MailTransport;
}

export async function createTestApp(driver: Driver, options: TestAppOptions = {}): Promise<TestApp> {
  const database = await openTestDatabase(driver);
  const clock = { now: options.realClock ? new Date() : TEST_NOW };
  if (options.realClock) Object.defineProperty(clock, 'now', { get: () => new Date() });
  const config = testConfig(options.config);
  const ctx: AppContext = { config, db: database.db, logger: createLogger(config.LOG_LEVEL, options.logDestination), now: () => clock.now };
  const services = createServices(ctx, options.mail ? { mail: options.mail } : options.mailTransport ? { mail: options.mailTransport } : {});
  const app = createApp(ctx, services);
  await seedAdministrativeTree(database.db, options.provinces ? { provinceCodes: options.provinces } : {});

  const request: TestApp['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.cookie) headers.cookie = opts.cookie;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = text;
    if (response.headers.get('content-type')?.includes('json')) parsed = JSON.parse(text);
    return { status: response.status, body: parsed, headers: response.headers };
  };

  const signInAs = async (role: Role, unitCode: string, email = `${role}-${unitCode.toLowerCase()}@test.hoinghi`) => {
    await createUser(database.db, { email, displayName: `Test ${role} ${unitCode}`, role, unitCode, password: 'correct horse battery' }, null);
    const response = await request('POST', '/api/auth/login', { body: { email, password: 'correct horse battery' } });
    if (response.status !== 200) throw new Error(`login as ${role} failed: ${JSON.stringify(response.body)}`);
    return response.headers.get('set-cookie')!.split(';')[0]!;
  };
  const cookies = {} as TestApp['cookies'];
  for (const role of ['secretariat', 'leader', 'admin'] as const) cookies[role] = await signInAs(role, 'VN', `${role}@test.hoinghi`);
  const seeded = (code: string) => options.provinces === undefined || options.provinces.includes(code);
  if (seeded('44')) cookies.quangTriSecretariat = await signInAs('secretariat', '44');
  if (seeded('01')) cookies.hanoiLeader = await signInAs('leader', '01');
  return { app, ctx, services, database, clock, cookies, signInAs, request, close: () => database.close() };
}
