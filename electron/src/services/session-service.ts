import {
  AuthClientError,
  accessTokenTimes,
  loginFailure,
  type DesktopTokenResponse,
  type LoginResult,
  type ServerSettings,
  type Session,
  type SessionEndReason,
  type SessionUser,
} from '@reading-station/contract';
import type { AuthApi } from './auth-api.ts';
import { ServerSettingsError } from './server-settings-store.ts';
import { InvalidServerUrlError, parseServerUrl } from './server-url.ts';
import { KeychainUnavailableError, type StoredRefreshToken, type TokenVault, type VaultAccount } from './token-vault.ts';

export interface ServerSettingsSource {
  getServerUrl(): Promise<string | null>;
  setServerUrl(input: string): Promise<string>;
}

/**
 * The browser partition the app's window uses: its HTTP cache and its storage (local and session
 * storage, IndexedDB, cache storage, service workers, cookies). Electron's `Session` is one as it
 * is; tests pass a stand-in.
 */
export interface BrowsingDataPartition {
  clearCache(): Promise<void>;
  clearStorageData(): Promise<void>;
}

export interface SessionServiceOptions {
  vault: TokenVault;
  /**
   * Emptied when a session ends (logout, revocation, expiry) and when another session replaces
   * one, so nothing a user's pages kept is there for the next user of the workstation.
   */
  partition?: BrowsingDataPartition;
  settings: ServerSettingsSource;
  /** One API client per server origin; injected so tests and the app choose the transport. */
  createAuthApi: (serverUrl: string) => AuthApi;
  /** Milliseconds since the epoch; injectable for tests of renewal timing. */
  now?: () => number;
  /** Called with diagnostics that must not interrupt the user (never with a token). */
  onWarning?: (message: string) => void;
}

export type SessionChangeListener = (session: Session | null, reason?: SessionEndReason) => void;

export interface LogoutOutcome {
  /** The server confirmed the session's token family is revoked. */
  revokedOnServer: boolean;
  /** The keychain entry was deleted. */
  removedFromKeychain: boolean;
  /** The partition's HTTP cache and storage were emptied (true when there is no partition). */
  clearedBrowsingData: boolean;
}

interface ActiveSession {
  account: VaultAccount;
  user: SessionUser;
  accessToken: string;
  /** When the access token expires, by this process's clock. */
  accessExpiresAt: number;
  /** When to renew it: the contract's renewal rule (session-renewal.ts). */
  renewAt: number;
  /** Kept in main-process memory to renew without a keychain read each time; never sent to the renderer. */
  refreshToken: string;
  api: AuthApi;
}

/** A renewal failed for a reason that may pass (server unreachable, 5xx); the session goes on. */
export class SessionRenewalError extends Error {
  override readonly name = 'SessionRenewalError';
  readonly code = 'SESSION_RENEWAL_FAILED';
}

const RETRY_DELAYS_MS = [2_000, 5_000, 15_000, 30_000, 60_000];

/**
 * The desktop session: login, renewal before expiry, logout, and restore at start from the
 * keychain. The access token lives only here (main-process memory) and reaches the renderer one
 * request at a time through getAccessToken(); the refresh token lives here and in the keychain.
 *
 * Refresh tokens rotate and a rotated token presented again revokes the whole session, so every
 * renewal goes through one in-flight promise, and results that arrive after a logout are revoked
 * rather than applied (a generation counter tells them apart).
 */
export class SessionService {
  readonly #vault: TokenVault;
  readonly #partition: BrowsingDataPartition | undefined;
  readonly #settings: ServerSettingsSource;
  readonly #createAuthApi: (serverUrl: string) => AuthApi;
  readonly #now: () => number;
  readonly #warn: (message: string) => void;
  readonly #listeners = new Set<SessionChangeListener>();

  #state: ActiveSession | null = null;
  #generation = 0;
  #renewal: Promise<string | null> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retryIndex = 0;
  #ready: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(options: SessionServiceOptions) {
    this.#vault = options.vault;
    this.#partition = options.partition;
    this.#settings = options.settings;
    this.#createAuthApi = options.createAuthApi;
    this.#now = options.now ?? Date.now;
    this.#warn = options.onWarning ?? (() => {});
  }

  /**
   * Restores the session kept in the keychain for the configured server, if the server still
   * honours it. Other calls wait for this, so the renderer's first question gets the answer.
   */
  start(): Promise<Session | null> {
    const restored = this.#restore();
    this.#ready = restored.then(
      () => undefined,
      () => undefined,
    );
    return restored;
  }

  /** The current session, after any restore in progress has finished. */
  async currentSession(): Promise<Session | null> {
    await this.#ready;
    return this.#publicSession();
  }

  onChange(listener: SessionChangeListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async login(input: { username: string; password: string; serverUrl?: string | undefined }): Promise<LoginResult> {
    await this.#ready;
    let serverUrl: string;
    try {
      serverUrl = await this.#serverFor(input.serverUrl);
    } catch (error) {
      if (error instanceof InvalidServerUrlError) return { ok: false, code: 'INVALID_SERVER_URL', message: error.message };
      throw error;
    }

    // Ask the keychain before sending the password: an unavailable one fails here, without a
    // login the server would audit and then have to revoke.
    let previous: StoredRefreshToken[];
    try {
      previous = await this.#vault.listForServer(serverUrl);
    } catch (error) {
      if (error instanceof KeychainUnavailableError) return keychainFailure(error);
      throw error;
    }

    const api = this.#createAuthApi(serverUrl);
    let tokens: DesktopTokenResponse;
    try {
      tokens = await api.login({ username: input.username, password: input.password });
    } catch (error) {
      if (error instanceof AuthClientError) return loginFailure(error);
      throw error;
    }

    const account: VaultAccount = { username: tokens.user.username, serverUrl };
    try {
      await this.#vault.write(account, tokens.refreshToken);
    } catch (error) {
      // A locked collection reads as empty but refuses writes (see KeytarTokenVault), so this is
      // where a locked keychain shows. The session just opened must not outlive this call.
      await api.logout({ refreshToken: tokens.refreshToken }).catch(() => this.#warn('could not revoke the session opened before the keychain refused it'));
      if (error instanceof KeychainUnavailableError) return keychainFailure(error);
      throw error;
    }

    // One session at a time: whatever came before (another user, another server, or this user's
    // older session) is revoked on its server and removed from the keychain.
    const before = this.#state;
    this.#generation += 1;
    this.#clearTimer();
    if (before) await this.#discard(before.api, before.account, before.refreshToken, account);
    for (const entry of previous) {
      if (entry.refreshToken !== before?.refreshToken) await this.#discard(api, entry, entry.refreshToken, account);
    }
    // A user switch (or a session left from an earlier start): the new session starts empty.
    if (before || previous.length > 0) await this.#clearBrowsingData('login');

    if ((await this.#settings.getServerUrl().catch(() => null)) !== serverUrl) await this.#settings.setServerUrl(serverUrl);
    this.#apply(tokens, account, api);
    const session = this.#publicSession();
    if (!session) throw new Error('unreachable: a session was just applied');
    this.#emit(session);
    return { ok: true, session };
  }

  /**
   * A valid access token for the next request, renewed first when it is about to expire; null
   * when there is no session. Throws SessionRenewalError when renewal is needed but the server
   * cannot be reached and the current token has expired.
   */
  async getAccessToken(): Promise<string | null> {
    await this.#ready;
    const state = this.#state;
    if (!state) return null;
    if (this.#now() < state.renewAt) return state.accessToken;
    try {
      return await this.#renew();
    } catch (error) {
      // Still valid for a while: use it, the timer keeps trying to renew.
      if (error instanceof SessionRenewalError && this.#state === state && this.#now() < state.accessExpiresAt) return state.accessToken;
      throw error;
    }
  }

  /** After a 401: renew now. Null means the session is over (the UI returns to login). */
  async refreshAccessToken(): Promise<string | null> {
    await this.#ready;
    if (!this.#state) return null;
    return this.#renew();
  }

  /** Revokes the session on the server, deletes it from the keychain, and forgets it. */
  async logout(reason: SessionEndReason = 'logout'): Promise<LogoutOutcome> {
    await this.#ready;
    const state = this.#state;
    if (!state) return { revokedOnServer: false, removedFromKeychain: false, clearedBrowsingData: false };
    this.#state = null;
    this.#generation += 1;
    this.#clearTimer();
    let revokedOnServer = false;
    try {
      await state.api.logout({ refreshToken: state.refreshToken });
      revokedOnServer = true;
    } catch (error) {
      this.#warn(`logout: the server did not confirm the revocation (${error instanceof Error ? error.message : 'unknown error'})`);
    }
    let removedFromKeychain = false;
    try {
      removedFromKeychain = await this.#vault.remove(state.account);
    } catch (error) {
      this.#warn(`logout: the keychain entry could not be deleted (${error instanceof Error ? error.message : 'unknown error'})`);
    }
    // Before the UI hears of it: the sign-in screen appears over an empty partition.
    const clearedBrowsingData = await this.#clearBrowsingData('logout');
    this.#emit(null, reason);
    return { revokedOnServer, removedFromKeychain, clearedBrowsingData };
  }

  async getServerSettings(): Promise<ServerSettings> {
    let serverUrl: string | null = null;
    try {
      serverUrl = await this.#settings.getServerUrl();
    } catch (error) {
      if (!(error instanceof ServerSettingsError)) throw error;
      this.#warn(error.message);
    }
    return { serverUrl: serverUrl ?? '', editable: true };
  }

  /**
   * Remembers another server (InvalidServerUrlError when it is not an http(s) origin). A session
   * on a different server ends first: its tokens mean nothing to the new one.
   */
  async setServerUrl(input: string): Promise<ServerSettings> {
    await this.#ready;
    const serverUrl = parseServerUrl(input);
    if (this.#state && this.#state.account.serverUrl !== serverUrl) await this.logout('logout');
    return { serverUrl: await this.#settings.setServerUrl(serverUrl), editable: true };
  }

  /** Stops the renewal timer (app quit). The session stays in the keychain for the next start. */
  dispose(): void {
    this.#disposed = true;
    this.#clearTimer();
    this.#listeners.clear();
  }

  async #restore(): Promise<Session | null> {
    let serverUrl: string | null;
    try {
      serverUrl = await this.#settings.getServerUrl();
    } catch (error) {
      if (error instanceof ServerSettingsError) {
        this.#warn(error.message);
        return null;
      }
      throw error;
    }
    if (!serverUrl) return null;

    let entries: StoredRefreshToken[];
    try {
      entries = await this.#vault.listForServer(serverUrl);
    } catch (error) {
      if (error instanceof KeychainUnavailableError) {
        this.#warn(`session not restored: ${error.message}`);
        return null;
      }
      throw error;
    }

    const api = this.#createAuthApi(serverUrl);
    for (const entry of entries) {
      if (this.#state) {
        // Normally one entry; extras (a crash between storing a new session and removing the old
        // one) are revoked so they cannot be replayed.
        await this.#discard(api, entry, entry.refreshToken, this.#state.account);
        continue;
      }
      const generation = this.#generation;
      let tokens: DesktopTokenResponse;
      try {
        tokens = await api.refresh(entry.refreshToken);
      } catch (error) {
        if (error instanceof AuthClientError && error.sessionEnd) {
          await this.#vault.remove(entry).catch(() => false);
          continue;
        }
        // Unreachable or failing server: keep the entry for the next start, show the login screen.
        this.#warn(`session not restored: ${error instanceof Error ? error.message : 'unknown error'}`);
        return null;
      }
      if (generation !== this.#generation) {
        await api.logout({ refreshToken: tokens.refreshToken }).catch(() => undefined);
        return this.#publicSession();
      }
      const account = { username: tokens.user.username, serverUrl };
      await this.#storeRotated(account, tokens.refreshToken);
      this.#apply(tokens, account, api);
    }
    return this.#publicSession();
  }

  /** One renewal at a time; concurrent callers share it (a second rotation would be a reuse). */
  #renew(): Promise<string | null> {
    this.#renewal ??= this.#renewOnce().finally(() => {
      this.#renewal = undefined;
    });
    return this.#renewal;
  }

  async #renewOnce(): Promise<string | null> {
    const state = this.#state;
    if (!state) return null;
    const generation = this.#generation;
    let tokens: DesktopTokenResponse;
    try {
      tokens = await state.api.refresh(state.refreshToken);
    } catch (error) {
      if (generation !== this.#generation) return this.#state?.accessToken ?? null;
      if (error instanceof AuthClientError && error.sessionEnd) {
        await this.#end(error.sessionEnd);
        return null;
      }
      this.#scheduleRetry();
      throw new SessionRenewalError(`the session could not be renewed: ${error instanceof Error ? error.message : 'unknown error'}`);
    }
    if (generation !== this.#generation) {
      // Logged out (or in as someone else) while this was in flight: revoke what just arrived.
      await state.api.logout({ refreshToken: tokens.refreshToken }).catch(() => undefined);
      return this.#state?.accessToken ?? null;
    }
    await this.#storeRotated(state.account, tokens.refreshToken);
    this.#apply(tokens, state.account, state.api);
    return tokens.accessToken;
  }

  async #storeRotated(account: VaultAccount, refreshToken: string): Promise<void> {
    try {
      await this.#vault.write(account, refreshToken);
    } catch (error) {
      // The session stays valid in this process; only the next start cannot restore it (the
      // stale entry is refused by the server then). Not written anywhere else, by design.
      if (!(error instanceof KeychainUnavailableError)) throw error;
      this.#warn(`the renewed session could not be stored in the keychain: ${error.message}`);
    }
  }

  #apply(tokens: DesktopTokenResponse, account: VaultAccount, api: AuthApi): void {
    const now = this.#now();
    const { expiresAtMs, renewAtMs } = accessTokenTimes(tokens.expiresIn, now);
    this.#state = {
      account,
      user: tokens.user,
      accessToken: tokens.accessToken,
      accessExpiresAt: expiresAtMs,
      renewAt: renewAtMs,
      refreshToken: tokens.refreshToken,
      api,
    };
    this.#retryIndex = 0;
    this.#schedule(this.#state.renewAt - now);
  }

  #schedule(delayMs: number): void {
    this.#clearTimer();
    if (this.#disposed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#renew().catch(() => undefined);
    }, Math.max(0, delayMs));
    // The app's lifetime is Electron's business; a pending renewal must not keep Node alive.
    this.#timer.unref();
  }

  #scheduleRetry(): void {
    const delay = RETRY_DELAYS_MS[Math.min(this.#retryIndex, RETRY_DELAYS_MS.length - 1)] ?? 60_000;
    this.#retryIndex += 1;
    this.#schedule(delay);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #end(reason: SessionEndReason): Promise<void> {
    const state = this.#state;
    if (!state) return;
    this.#state = null;
    this.#generation += 1;
    this.#clearTimer();
    await this.#vault.remove(state.account).catch(() => false);
    await this.#clearBrowsingData(reason);
    this.#emit(null, reason);
  }

  /** Empties the partition's HTTP cache and storage; a failure is reported, never thrown. */
  async #clearBrowsingData(occasion: string): Promise<boolean> {
    const partition = this.#partition;
    if (!partition) return true;
    const results = await Promise.allSettled([partition.clearCache(), partition.clearStorageData()]);
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    for (const failure of failed) {
      this.#warn(`${occasion}: the browsing data could not be cleared (${failure.reason instanceof Error ? failure.reason.message : 'unknown error'})`);
    }
    return failed.length === 0;
  }

  /** Revokes a session we no longer use and deletes its entry unless `keep` now owns that entry. */
  async #discard(api: AuthApi, account: VaultAccount, refreshToken: string, keep: VaultAccount): Promise<void> {
    await api.logout({ refreshToken }).catch(() => this.#warn('an earlier session could not be revoked on the server'));
    if (account.username === keep.username && account.serverUrl === keep.serverUrl) return;
    await this.#vault.remove(account).catch(() => false);
  }

  async #serverFor(input: string | undefined): Promise<string> {
    if (input !== undefined && input.trim() !== '') return parseServerUrl(input);
    const configured = await this.#settings.getServerUrl().catch(() => null);
    if (!configured) throw new InvalidServerUrlError('enter the address of the Reading Station server');
    return configured;
  }

  #publicSession(): Session | null {
    const state = this.#state;
    if (!state) return null;
    return {
      user: { ...state.user },
      serverUrl: state.account.serverUrl,
      accessTokenExpiresAt: new Date(state.accessExpiresAt).toISOString(),
    };
  }

  #emit(session: Session | null, reason?: SessionEndReason): void {
    for (const listener of this.#listeners) {
      try {
        listener(session, reason);
      } catch (error) {
        this.#warn(`a session listener failed: ${error instanceof Error ? error.message : 'unknown error'}`);
      }
    }
  }
}

function keychainFailure(error: KeychainUnavailableError): LoginResult {
  return { ok: false, code: 'KEYCHAIN_UNAVAILABLE', message: error.message };
}
