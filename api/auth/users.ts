/** Accounts: creation (admin only, through the API), look-up by e-mail, and the first admin. */
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../../db/client.ts';
import { constraintViolationOf } from '../../db/errors.ts';
import { auditLog, users } from '../../db/schema.ts';
import type { AppContext, Role } from '../context.ts';
import { ConflictError } from '../errors.ts';
import { hashPassword } from './passwords.ts';

export const newUserInput = z
  .object({
    email: z
      .email()
      .max(254)
      .transform((e) => e.toLowerCase()),
    displayName: z.string().trim().min(1).max(200),
    role: z.enum(['secretariat', 'leader', 'admin']),
    /** "VN", a province or a commune code; the creating admin's own unit when absent. */
    unitCode: z
      .string()
      .regex(/^(VN|\d{2}|\d{5})$/, 'must be "VN", a 2-digit province code or a 5-digit commune code')
      .optional(),
    password: z.string().min(12, 'must be at least 12 characters').max(200),
  })
  .strict();
export type NewUserInput = z.input<typeof newUserInput>;

export async function createUser(db: Database, input: z.output<typeof newUserInput>, actorUserId: string | null) {
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction(async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({ email: input.email, displayName: input.displayName, role: input.role, unitCode: input.unitCode ?? 'VN', passwordHash })
        .returning({ id: users.id, email: users.email, displayName: users.displayName, role: users.role, unitCode: users.unitCode });
      await tx.insert(auditLog).values({
        actorUserId,
        action: 'user.create',
        entity: 'user',
        entityId: user!.id,
        details: { email: input.email, role: input.role, unitCode: input.unitCode ?? 'VN' },
      });
      return user!;
    });
  } catch (error) {
    if (constraintViolationOf(error)?.kind === 'unique') throw new ConflictError(`An account for ${input.email} already exists`);
    throw error;
  }
}

export async function findUserByEmail(db: Database, email: string) {
  const [row] = await db.select().from(users).where(eq(users.email, email.toLowerCase())).limit(1);
  return row ?? null;
}

/**
 * Makes sure an admin exists. With ADMIN_EMAIL/ADMIN_PASSWORD that account is created once; on
 * the embedded default without them a password is generated and returned so main.ts can print
 * it once. An existing admin is never touched.
 */
export async function ensureFirstAdmin(ctx: Pick<AppContext, 'db' | 'config'>): Promise<{ email: string; generatedPassword?: string } | null> {
  const [{ count } = { count: 0 }] = await ctx.db
    .select({ count: sql<number>`count(*)::int` })
    .from(users)
    .where(eq(users.role, 'admin' satisfies Role));
  if (count > 0) return null;
  const email = (ctx.config.ADMIN_EMAIL ?? 'admin@hoinghi.local').toLowerCase();
  const generatedPassword = ctx.config.ADMIN_PASSWORD ? undefined : randomBytes(12).toString('base64url');
  const password = ctx.config.ADMIN_PASSWORD ?? generatedPassword!;
  await createUser(ctx.db, { email, displayName: 'Quản trị hệ thống', role: 'admin', password }, null);
  return { email, ...(generatedPassword ? { generatedPassword } : {}) };
}
