/**
 * What every route and service receives: the parsed config, the database, the logger and a clock
 * (tests pin "now" instead of sleeping). Hono's per-request variables are typed here too.
 */
import type { Database } from '../db/client.ts';
import type { AppConfig } from './config.ts';
import type { Lang } from './i18n/translator.ts';
import type { Logger } from './logger.ts';

export interface AppContext {
  config: AppConfig;
  db: Database;
  logger: Logger;
  now: () => Date;
}

export type Role = 'secretariat' | 'leader' | 'admin';

export interface AuthenticatedUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  /** "VN", a province or a commune code: the subtree the account acts within (api/auth/policy.ts). */
  unitCode: string;
}

export type { Lang } from './i18n/translator.ts';

export type AppEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    user: AuthenticatedUser | null;
    lang: Lang;
  };
};
