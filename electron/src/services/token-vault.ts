/**
 * Where the desktop app keeps the one secret that outlives a restart: the refresh token. Only the
 * OS keychain may hold it (docs/security.md, tokens), so this interface has no "fallback" and an unavailable
 * keychain is an error the user sees. The keytar implementation is in keytar-token-vault.ts; a
 * `@napi-rs/keyring` one can replace it behind this interface (keytar is archived).
 */

/** The keychain "service" under which every Reading Station entry is filed. */
export const VAULT_SERVICE = 'Reading Station';

/** Whose token an entry is: one per user per server. */
export interface VaultAccount {
  username: string;
  /** The server's origin, as normalised by parseServerUrl. */
  serverUrl: string;
}

export interface StoredRefreshToken extends VaultAccount {
  refreshToken: string;
}

export interface TokenVault {
  /** The refresh token kept for this account, or null. */
  read(account: VaultAccount): Promise<string | null>;
  /** Stores (replaces) the refresh token for this account. */
  write(account: VaultAccount, refreshToken: string): Promise<void>;
  /** Removes the entry; false when there was none. */
  remove(account: VaultAccount): Promise<boolean>;
  /** Every entry kept for this server (normally zero or one). */
  listForServer(serverUrl: string): Promise<StoredRefreshToken[]>;
}

/** `username@https://server:port`: readable in the OS keychain UI, and unique per user and server. */
export function vaultAccountName(account: VaultAccount): string {
  return `${account.username}@${account.serverUrl}`;
}

/** The inverse of vaultAccountName for entries of one server; null for another server's entry. */
export function parseVaultAccountName(name: string, serverUrl: string): VaultAccount | null {
  const suffix = `@${serverUrl}`;
  if (!name.endsWith(suffix) || name.length === suffix.length) return null;
  return { username: name.slice(0, -suffix.length), serverUrl };
}

/** Why the keychain cannot be used; each has its own message for the user. */
export type KeychainProblem = 'no-keychain-service' | 'locked' | 'access-denied' | 'native-module' | 'unknown';

const problemMessages: Record<KeychainProblem, string> = {
  'no-keychain-service':
    'No system keychain is available (on Linux: a Secret Service such as GNOME Keyring or KWallet in the desktop session). ' +
    'Reading Station keeps your session only in the system keychain; sign in to a desktop session that has one and try again.',
  locked:
    'The system keychain is locked. Unlock it (on Linux, for example, by logging in to the desktop session or with the ' +
    'keyring manager) and try again. Reading Station keeps your session only in the system keychain.',
  'access-denied': 'Reading Station was not allowed to use the system keychain. Allow access when the system asks, and try again.',
  'native-module': 'The keychain module of this installation cannot be loaded; reinstall Reading Station or contact IT.',
  unknown: 'The system keychain could not be used. Reading Station keeps your session only there; contact IT if this persists.',
};

/**
 * The keychain cannot store or read the session. Never answered by writing the token elsewhere:
 * the user is told, and logs in again once the keychain works.
 */
export class KeychainUnavailableError extends Error {
  override readonly name = 'KeychainUnavailableError';
  readonly code = 'KEYCHAIN_UNAVAILABLE';
  readonly problem: KeychainProblem;

  constructor(problem: KeychainProblem, options?: { cause?: unknown }) {
    super(problemMessages[problem], options);
    this.problem = problem;
  }
}
