/**
 * Who may read and change the directory of a unit: the API and the pages call this with the unit
 * the request is about; the rule itself is the policy's (api/auth/policy.ts): secretariats and
 * admins, over their unit's subtree (a province's staff reach each of its communes too).
 */
import type { Executor } from '../../db/client.ts';
import { assertMayUseDirectory, roleMay } from '../auth/policy.ts';
import type { AuthenticatedUser } from '../context.ts';
import { UnauthorizedError } from '../errors.ts';

export async function assertDirectoryAccess(db: Executor, user: AuthenticatedUser | null, unitCode: string): Promise<AuthenticatedUser> {
  if (!user) throw new UnauthorizedError();
  await assertMayUseDirectory(db, user, unitCode);
  return user;
}

/** Whether to offer directory links at all (navigation, the scheduling form's notice). */
export function mayUseDirectory(user: AuthenticatedUser | null): boolean {
  return user !== null && roleMay(user.role, 'directory.manage');
}
