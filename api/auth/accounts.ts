/**
 * The life of an account after it is created: listing, deactivating, resetting and changing
 * passwords, and the forgotten-password link. Who may manage whom is api/auth/policy.ts's.
 *
 * Every change that takes an account's power away (deactivation, a new password) ends its
 * sign-ins in the same transaction; listeners (the composition root: the SFU) close what the
 * database cannot, such as an open console socket.
 *
 * A forgotten-password link is 256 random bits, stored as SHA-256, valid 30 minutes and once.
 * Asking for one answers the same whether or not the address has an account, and the e-mail is
 * sent after the answer, so neither the reply nor its timing tells which addresses exist.
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { auditLog, passwordResets, users } from '../../db/schema.ts';
import type { AppContext, AuthenticatedUser } from '../context.ts';
import { InvalidLinkError, NotFoundError, ValidationError } from '../errors.ts';
import { parseMailbox } from '../invites/config.ts';
import type { OutgoingMail } from '../invites/email.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { assertMayManageAccountsOf, assertRoleMay, unitWithin, type Actor } from './policy.ts';
import { endSignInsOf, forgetSignIns, hashToken, newSecretToken } from './sign-ins.ts';

export const RESET_LINK_MINUTES = 30;

export const newPassword = z.string().min(12, 'must be at least 12 characters').max(200);
export const resetPasswordInput = z.object({ password: newPassword }).strict();
export const changePasswordInput = z.object({ currentPassword: z.string().min(1).max(200), newPassword }).strict();
export const forgotPasswordInput = z.object({ email: z.string().trim().min(1).max(254) }).strict();
export const completeResetInput = z.object({ token: z.string().min(1).max(200), password: newPassword }).strict();

export type AccountListener = (userId: string) => void;

/** Sends one message through the same transport as the invitations. */
export interface AccountMailer {
  send(message: OutgoingMail): Promise<unknown>;
}

const accountColumns = {
  id: users.id,
  email: users.email,
  displayName: users.displayName,
  role: users.role,
  unitCode: users.unitCode,
  active: users.active,
  createdAt: users.createdAt,
};

export class AccountService {
  private readonly deactivatedListeners: AccountListener[] = [];

  constructor(
    private readonly ctx: AppContext,
    private readonly mailer: AccountMailer,
  ) {}

  /** Called after an account lost its sign-ins (deactivated, password reset). Must not throw. */
  onSignInsEnded(listener: AccountListener): void {
    this.deactivatedListeners.push(listener);
  }

  async list(actor: Actor) {
    assertRoleMay(actor, 'accounts.manage');
    return this.ctx.db
      .select(accountColumns)
      .from(users)
      .where(unitWithin(users.unitCode, actor.unitCode))
      .orderBy(asc(users.unitCode), asc(users.email))
      .limit(5000);
  }

  private async target(actor: Actor, userId: string) {
    const [row] = await this.ctx.db.select(accountColumns).from(users).where(eq(users.id, userId)).limit(1);
    if (!row) throw new NotFoundError('Account', userId);
    await assertMayManageAccountsOf(this.ctx.db, actor, row.unitCode);
    return row;
  }

  async deactivate(actor: AuthenticatedUser, userId: string) {
    const target = await this.target(actor, userId);
    if (target.id === actor.id) throw new ValidationError('You cannot deactivate your own account', undefined, 422);
    const ended = await this.ctx.db.transaction(async (tx) => {
      await tx.update(users).set({ active: false, updatedAt: this.ctx.now() }).where(eq(users.id, userId));
      const count = await endSignInsOf(tx, userId);
      await tx.insert(auditLog).values({
        actorUserId: actor.id,
        action: 'user.deactivate',
        entity: 'user',
        entityId: userId,
        details: { email: target.email, unitCode: target.unitCode, signInsEnded: count },
      });
      return count;
    });
    this.signInsEnded(userId);
    this.ctx.logger.info({ actorUserId: actor.id, userId, signInsEnded: ended }, 'account deactivated');
    return { ...target, active: false };
  }

  async reactivate(actor: AuthenticatedUser, userId: string) {
    const target = await this.target(actor, userId);
    await this.ctx.db.transaction(async (tx) => {
      await tx.update(users).set({ active: true, updatedAt: this.ctx.now() }).where(eq(users.id, userId));
      await tx
        .insert(auditLog)
        .values({ actorUserId: actor.id, action: 'user.reactivate', entity: 'user', entityId: userId, details: { email: target.email } });
    });
    return { ...target, active: true };
  }

  /** An admin sets a new password for an account of its subtree; the account's sign-ins end. */
  async resetPassword(actor: AuthenticatedUser, userId: string, password: string) {
    const target = await this.target(actor, userId);
    const passwordHash = await hashPassword(password);
    await this.ctx.db.transaction(async (tx) => {
      await tx.update(users).set({ passwordHash, updatedAt: this.ctx.now() }).where(eq(users.id, userId));
      await endSignInsOf(tx, userId);
      await tx
        .insert(auditLog)
        .values({ actorUserId: actor.id, action: 'user.password_reset', entity: 'user', entityId: userId, details: { email: target.email } });
    });
    this.signInsEnded(userId);
  }

  /** The account changes its own password; its other sign-ins end, this one stays. */
  async changeOwnPassword(user: AuthenticatedUser, currentToken: string, input: z.output<typeof changePasswordInput>) {
    const [row] = await this.ctx.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, user.id)).limit(1);
    if (!row || !(await verifyPassword(row.passwordHash, input.currentPassword)))
      throw new ValidationError('The current password is wrong', { field: 'currentPassword' }, 422);
    const passwordHash = await hashPassword(input.newPassword);
    await this.ctx.db.transaction(async (tx) => {
      await tx.update(users).set({ passwordHash, updatedAt: this.ctx.now() }).where(eq(users.id, user.id));
      await endSignInsOf(tx, user.id, { token: currentToken });
      await tx.insert(auditLog).values({ actorUserId: user.id, action: 'user.password_change', entity: 'user', entityId: user.id, details: {} });
    });
    forgetSignIns(this.ctx.db, { userId: user.id });
  }

  /** Always resolves the same way; mails a link only to an active account, after answering. */
  async requestReset(email: string): Promise<void> {
    const address = email.trim().toLowerCase();
    const [user] = await this.ctx.db
      .select({ id: users.id, email: users.email, displayName: users.displayName, active: users.active })
      .from(users)
      .where(eq(users.email, address))
      .limit(1);
    if (!user?.active) return;
    const token = newSecretToken();
    const now = this.ctx.now();
    await this.ctx.db.transaction(async (tx) => {
      await tx
        .insert(passwordResets)
        .values({ tokenHash: hashToken(token), userId: user.id, expiresAt: new Date(now.getTime() + RESET_LINK_MINUTES * 60_000) });
      await tx.insert(auditLog).values({ actorUserId: null, action: 'user.password_reset_requested', entity: 'user', entityId: user.id, details: {} });
    });
    const link = `${this.ctx.config.PUBLIC_URL}/reset-password/${token}`;
    const from = parseMailbox(this.ctx.config.MAIL_FROM);
    const message: OutgoingMail = {
      from: { name: from.name, address: from.email },
      to: user.email,
      subject: 'Đặt lại mật khẩu — Hội nghị trực tuyến',
      text: [
        `Kính gửi ${user.displayName},`,
        '',
        'Có yêu cầu đặt lại mật khẩu cho tài khoản của bạn. Mở đường dẫn dưới đây để đặt mật khẩu mới;',
        `đường dẫn dùng được một lần, trong ${RESET_LINK_MINUTES} phút:`,
        '',
        link,
        '',
        'Nếu bạn không yêu cầu, hãy bỏ qua thư này: mật khẩu hiện tại vẫn giữ nguyên.',
      ].join('\n'),
    };
    // Not awaited: the answer must not wait on the mail server, or its timing would tell.
    void this.mailer.send(message).catch((error: unknown) => this.ctx.logger.error({ err: error, userId: user.id }, 'password reset mail failed'));
  }

  /** Uses a forgotten-password link once: sets the password and ends every sign-in of the account. */
  async completeReset(token: string, password: string): Promise<void> {
    const now = this.ctx.now();
    const passwordHash = await hashPassword(password);
    const userId = await this.ctx.db.transaction(async (tx) => {
      // One UPDATE claims the link: two uses at once cannot both succeed.
      const [claimed] = await tx
        .update(passwordResets)
        .set({ usedAt: now })
        .where(
          and(
            eq(passwordResets.tokenHash, hashToken(token)),
            isNull(passwordResets.usedAt),
            sql`${passwordResets.expiresAt} > ${now.toISOString()}::timestamptz`,
          ),
        )
        .returning({ userId: passwordResets.userId });
      if (!claimed) {
        const [row] = await tx
          .select({ usedAt: passwordResets.usedAt })
          .from(passwordResets)
          .where(eq(passwordResets.tokenHash, hashToken(token)))
          .limit(1);
        throw new InvalidLinkError(!row ? 'unknown' : row.usedAt ? 'revoked' : 'expired');
      }
      await tx.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, claimed.userId));
      await endSignInsOf(tx, claimed.userId);
      await tx
        .insert(auditLog)
        .values({ actorUserId: claimed.userId, action: 'user.password_reset_completed', entity: 'user', entityId: claimed.userId, details: {} });
      return claimed.userId;
    });
    this.signInsEnded(userId);
  }

  private signInsEnded(userId: string): void {
    // The sign-in cache (sign-ins.ts) must not serve an ended sign-in for even a moment.
    forgetSignIns(this.ctx.db, { userId });
    for (const listener of this.deactivatedListeners) {
      try {
        listener(userId);
      } catch (error) {
        this.ctx.logger.error({ err: error, userId }, 'sign-ins-ended listener failed');
      }
    }
  }
}
