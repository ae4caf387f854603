import { hash, verify } from '@node-rs/argon2';
import { RegistryError } from '../registry-error.ts';

// argon2id (the library's default algorithm) with OWASP's recommended minimum: 19 MiB, 2 passes,
// 1 lane. Spelled out so a library default change cannot silently weaken new hashes.
const ARGON2ID_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 8;
// Hashing cost grows with input; cap it so a login body cannot be used to burn CPU.
export const MAX_PASSWORD_LENGTH = 1024;

export async function hashPassword(password: string): Promise<string> {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new RegistryError('INVALID_PASSWORD', `the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new RegistryError('INVALID_PASSWORD', `the password must have at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  return hash(password, ARGON2ID_OPTIONS);
}

/** True when `password` matches `passwordHash`; false for a wrong password or an unusable hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let decoyHash: Promise<string> | undefined;

/**
 * Spends the time of one verification against a throw-away hash, so that "no such user" answers
 * as slowly as "wrong password" and usernames cannot be probed by timing.
 */
export async function spendVerificationTime(password: string): Promise<void> {
  decoyHash ??= hash('decoy password that nobody has', ARGON2ID_OPTIONS);
  await verifyPassword(await decoyHash, password.length === 0 ? 'x' : password);
}
