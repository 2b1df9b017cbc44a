/**
 * Recognises PostgreSQL constraint violations by SQLSTATE, whichever driver raised them and
 * however drizzle wrapped them (DrizzleQueryError keeps the driver's error as `cause`). The data
 * layer in api/ turns them into domain errors; nothing matches on message text.
 */
export type ConstraintViolation = {
  kind: 'unique' | 'foreign-key' | 'check' | 'not-null' | 'exclusion';
  constraint?: string;
  detail?: string;
};

const kindBySqlState: Record<string, ConstraintViolation['kind']> = {
  '23505': 'unique',
  '23503': 'foreign-key',
  '23514': 'check',
  '23502': 'not-null',
  '23P01': 'exclusion',
};

export function constraintViolationOf(error: unknown): ConstraintViolation | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const candidate = current as { code?: unknown; constraint?: unknown; constraint_name?: unknown; detail?: unknown; cause?: unknown };
    const kind = typeof candidate.code === 'string' ? kindBySqlState[candidate.code] : undefined;
    if (kind) {
      const constraint = candidate.constraint_name ?? candidate.constraint;
      return {
        kind,
        ...(typeof constraint === 'string' ? { constraint } : {}),
        ...(typeof candidate.detail === 'string' ? { detail: candidate.detail } : {}),
      };
    }
    current = candidate.cause;
  }
  return undefined;
}
