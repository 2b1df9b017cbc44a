/**
 * Password hashing with argon2id at OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane).
 * @node-rs/argon2 ships prebuilt binaries inside its npm packages, so it installs offline.
 */
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

const OWASP_ARGON2ID = { memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  // argon2id is the library's default algorithm.
  return hash(password, OWASP_ARGON2ID);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash is a failed sign-in, not a server error.
    return false;
  }
}

let dummyHash: Promise<string> | undefined;
/**
 * A real hash of a random secret, verified for unknown e-mails so that the answer takes as long
 * as for a real account and timing does not reveal which e-mails exist.
 */
export function dummyPasswordHash(): Promise<string> {
  return (dummyHash ??= hashPassword(randomBytes(32).toString('base64url')));
}
