import {
  KeychainUnavailableError,
  parseVaultAccountName,
  VAULT_SERVICE,
  vaultAccountName,
  type KeychainProblem,
  type StoredRefreshToken,
  type TokenVault,
  type VaultAccount,
} from './token-vault.ts';

/** The part of keytar this vault uses; tests and a future backend can provide the same shape. */
export interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

/**
 * Loads keytar when first needed rather than at import: a native module that fails to load must
 * become a KeychainUnavailableError shown at login, not a main process that dies at start.
 */
export async function loadKeytar(): Promise<KeytarApi> {
  try {
    const module: { default?: KeytarApi } & Partial<KeytarApi> = await import('keytar');
    const api = module.default ?? module;
    if (typeof api.getPassword !== 'function') throw new Error('keytar exports no getPassword');
    return api as KeytarApi;
  } catch (error) {
    throw new KeychainUnavailableError('native-module', { cause: error });
  }
}

/**
 * Maps the keychain backends' error texts to a problem the user can act on. The Linux texts are
 * libsecret's, as observed with gnome-keyring (docs/facts.md, keytar): no D-Bus session → "Cannot autolaunch
 * D-Bus…", no unlocked login collection → "Object does not exist at path …/collection/login" or
 * "Cannot create an item in a locked collection".
 */
export function classifyKeychainError(error: unknown): KeychainProblem {
  const message = error instanceof Error ? error.message : String(error);
  if (/autolaunch D-Bus|org\.freedesktop\.secrets was not provided|Could not connect|Failed to connect to socket|DBus\.Error\.ServiceUnknown/i.test(message)) {
    return 'no-keychain-service';
  }
  if (/locked|Object does not exist at path .*\/collection\//i.test(message)) return 'locked';
  if (/User canceled|denied|not allowed|errSecAuthFailed|interaction is not allowed/i.test(message)) return 'access-denied';
  return 'unknown';
}

/**
 * TokenVault over keytar: macOS Keychain, Windows Credential Manager, Linux Secret Service.
 * Note: a locked Secret Service collection answers reads with "nothing stored" rather than an
 * error; only writes fail. So a locked keychain shows as "logged out" at start, and the login
 * that follows reports the lock.
 */
export class KeytarTokenVault implements TokenVault {
  readonly #load: () => Promise<KeytarApi>;
  #api: Promise<KeytarApi> | undefined;

  constructor(load: () => Promise<KeytarApi> = loadKeytar) {
    this.#load = load;
  }

  async read(account: VaultAccount): Promise<string | null> {
    return this.#call((api) => api.getPassword(VAULT_SERVICE, vaultAccountName(account)));
  }

  async write(account: VaultAccount, refreshToken: string): Promise<void> {
    await this.#call((api) => api.setPassword(VAULT_SERVICE, vaultAccountName(account), refreshToken));
  }

  async remove(account: VaultAccount): Promise<boolean> {
    return this.#call((api) => api.deletePassword(VAULT_SERVICE, vaultAccountName(account)));
  }

  async listForServer(serverUrl: string): Promise<StoredRefreshToken[]> {
    const entries = await this.#call((api) => api.findCredentials(VAULT_SERVICE));
    const found: StoredRefreshToken[] = [];
    for (const entry of entries) {
      const account = parseVaultAccountName(entry.account, serverUrl);
      if (account) found.push({ ...account, refreshToken: entry.password });
    }
    return found;
  }

  async #call<T>(operation: (api: KeytarApi) => Promise<T>): Promise<T> {
    // A failed load is retried next time (the user may fix the install or session meanwhile).
    this.#api ??= this.#load().catch((error: unknown) => {
      this.#api = undefined;
      throw error;
    });
    const api = await this.#api;
    try {
      return await operation(api);
    } catch (error) {
      throw new KeychainUnavailableError(classifyKeychainError(error), { cause: error });
    }
  }
}
