/**
 * Who may read and change the directory of a unit. One function, called by the JSON API and
 * the pages alike, with the unit the request is about: secretariats and admins of the nation reach
 * every unit, those of a province or commune their own unit's directory.
 */
import type { AuthenticatedUser } from '../context.ts';
import { NATIONAL_UNIT } from '../auth/policy.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';

export function assertDirectoryAccess(user: AuthenticatedUser | null, unitCode: string): AuthenticatedUser {
  if (!user) throw new UnauthorizedError();
  if (user.role !== 'admin' && user.role !== 'secretariat') throw new ForbiddenError('Only the secretariat may read or change the directory of sites');
  // National staff reach every unit; a province's or commune's staff reach their own unit's directory.
  if (user.unitCode !== NATIONAL_UNIT && unitCode !== user.unitCode) throw new ForbiddenError('This directory belongs to another unit');
  return user;
}

/** Whether to offer directory links at all (navigation, the scheduling form's notice). */
export function mayUseDirectory(user: AuthenticatedUser | null): boolean {
  return user?.role === 'admin' || user?.role === 'secretariat';
}
