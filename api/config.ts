/**
 * The application's configuration: every part's environment schema composed and parsed once at
 * start-up. main.ts prints every problem and exits non-zero; everything else receives the parsed
 * object (or the slice it needs) and never reads process.env.
 */
import path from 'node:path';
import { z } from 'zod';
import { databaseConfigSchema } from '../db/config.ts';
import { dispatcherConfigSchema, mailConfigSchema } from './invites/config.ts';
import { attendanceConfigSchema } from './attendance/config.ts';
import { SfuEnvSchema, sfuConfigFromEnv, type SfuConfig } from '../sfu/index.ts';

const booleanFromEnv = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

export const appConfigSchema = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    /** Address the HTTP server binds to; 0.0.0.0 to serve other machines. */
    HOST: z.string().min(1).default('127.0.0.1'),
    /** The address people open; used in invite links. Defaults to http://localhost:PORT. */
    PUBLIC_URL: z.url().optional(),
    /**
     * `all` (default): pages, API, invitation dispatcher and a media node in one process.
     * `media`: only signaling and mediasoup workers, registered as a node in the shared
     * PostgreSQL (DATABASE_URL, SFU_NODE_ID and SFU_NODE_URL required); PUBLIC_URL is then the
     * address of the pages, whose origin the node's WebSocket accepts.
     */
    SERVER_ROLE: z.enum(['all', 'media']).default('all'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** First admin account. On the embedded default without them a password is generated and printed once. */
    ADMIN_EMAIL: z.email().optional(),
    ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    SIGN_IN_TTL_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(12),
    /** A sign-in without a request for this long ends, before its absolute expiry. */
    SIGN_IN_IDLE_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 60)
      .default(120),
    /** How long a looked-up sign-in is reused without asking the database (api/auth/sign-ins.ts); 0 turns it off. */
    SIGN_IN_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
    /** Behind an https reverse proxy: trust X-Forwarded-Proto for the Secure cookie flag. */
    TRUST_PROXY: booleanFromEnv.default(false),
    /** Seed the administrative tree at start-up when it is missing (idempotent). */
    SEED_ON_START: booleanFromEnv.default(true),
    /** Largest accepted request body. */
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024)
      .default(1024 * 1024),
    /** Login attempts allowed per e-mail and client address in LOGIN_WINDOW_SECONDS. */
    LOGIN_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(5),
    LOGIN_WINDOW_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(15 * 60),
    /**
     * HTTP deadlines (server/main.ts): a client gets this long to send its headers, its whole
     * request, and to start its next request on a kept-alive socket; a socket silent for
     * HTTP_IDLE_TIMEOUT_MS is closed. WebSockets leave these behind once upgraded (sfu/ has its own).
     */
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
    HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  })
  .extend(databaseConfigSchema.shape)
  .extend(mailConfigSchema.shape)
  .extend(dispatcherConfigSchema.shape)
  .extend(attendanceConfigSchema.shape);

export type AppConfig = z.infer<typeof appConfigSchema> & { PUBLIC_URL: string; MAIL_FOLDER_DIR: string; INVITE_JOURNAL_FILE: string; sfu: SfuConfig };

export function parseConfig(env: Record<string, string | undefined>): { ok: true; config: AppConfig } | { ok: false; problems: string[] } {
  // Empty strings in an env file mean "not set", not "set to nothing".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = appConfigSchema.safeParse(cleaned);
  // The SFU's schema has cross-field rules, so it is parsed beside the rest rather than merged.
  const sfu = SfuEnvSchema.safeParse(cleaned);
  const problems = [...(parsed.success ? [] : parsed.error.issues), ...(sfu.success ? [] : sfu.error.issues)].map(
    (i) => `${i.path.join('.') || '(env)'}: ${i.message}`,
  );
  if (parsed.success && parsed.data.HTTP_HEADERS_TIMEOUT_MS > parsed.data.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (parsed.success && (parsed.data.ADMIN_EMAIL === undefined) !== (parsed.data.ADMIN_PASSWORD === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (parsed.success && sfu.success && parsed.data.SERVER_ROLE === 'media') {
    if (!parsed.data.DATABASE_URL) problems.push('SERVER_ROLE=media needs DATABASE_URL: the nodes share one PostgreSQL');
    if (!cleaned.SFU_NODE_ID) problems.push('SERVER_ROLE=media needs SFU_NODE_ID (each node its own)');
    if (!sfu.data.SFU_NODE_URL) problems.push('SERVER_ROLE=media needs SFU_NODE_URL (ws(s)://this-node/ws, where browsers reach it)');
    if (!parsed.data.PUBLIC_URL) problems.push('SERVER_ROLE=media needs PUBLIC_URL: the address of the pages, whose origin may open sockets here');
  }
  if (!parsed.success || !sfu.success || problems.length) return { ok: false, problems };
  const config = parsed.data;
  const publicUrl = (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
  return {
    ok: true,
    config: {
      ...config,
      PUBLIC_URL: publicUrl,
      // Every path the app writes to lives under DATA_DIR unless set on its own.
      MAIL_FOLDER_DIR: config.MAIL_FOLDER_DIR ?? path.join(config.DATA_DIR, 'mail'),
      INVITE_JOURNAL_FILE: config.INVITE_JOURNAL_FILE ?? path.join(config.DATA_DIR, 'invite-journal.ndjson'),
      sfu: sfuConfigFromEnv(sfu.data, publicUrl),
    },
  };
}
