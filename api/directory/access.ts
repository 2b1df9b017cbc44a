/**
 * Who may read and change the directory of a unit. One function, called by the JSON API and
 * the pages alike, with the unit the request is about: today admins and secretariats reach every
 * unit; when accounts belong to a unit, this is the one place to scope it.
 */
import type { AuthenticatedUser } from '../context.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';

export function assertDirectoryAccess(user: AuthenticatedUser | null, _unitCode: string): AuthenticatedUser {
  if (!user) throw new UnauthorizedError();
  if (user.role !== 'admin' && user.role !== 'secretariat') throw new ForbiddenError('Only the secretariat may read or change the directory of sites');
  return user;
}

/** Whether to offer directory links at all (navigation, the scheduling form's notice). */
export function mayUseDirectory(user: AuthenticatedUser | null): boolean {
  return user?.role === 'admin' || user?.role === 'secretariat';
}
