import { describe, expect, it } from 'vitest';
import { AuthClientError, type DesktopTokenResponse, type Session, type SessionEndReason } from '@reading-station/contract';
import type { AuthApi } from './auth-api.ts';
import { SessionService, type BrowsingDataPartition, type ServerSettingsSource } from './session-service.ts';
import { parseServerUrl } from './server-url.ts';
import { KeychainUnavailableError, vaultAccountName, type StoredRefreshToken, type TokenVault, type VaultAccount } from './token-vault.ts';

/*
 * Session logic with an in-memory vault and a scripted server. The same behaviour is checked
 * against the real stack and gnome-keyring in test/integration/session-service.test.ts; these
 * cover the races and failures a real server will not produce on demand.
 */

const SERVER = 'https://pacs.hospital.example';

class MemoryVault implements TokenVault {
  entries = new Map<string, StoredRefreshToken>();
  failWith: KeychainUnavailableError | undefined;
  failWritesWith: KeychainUnavailableError | undefined;
  async read(account: VaultAccount) {
    this.#check();
    return this.entries.get(vaultAccountName(account))?.refreshToken ?? null;
  }
  async write(account: VaultAccount, refreshToken: string) {
    this.#check();
    if (this.failWritesWith) throw this.failWritesWith;
    this.entries.set(vaultAccountName(account), { ...account, refreshToken });
  }
  async remove(account: VaultAccount) {
    this.#check();
    return this.entries.delete(vaultAccountName(account));
  }
  async listForServer(serverUrl: string) {
    this.#check();
    return [...this.entries.values()].filter((entry) => entry.serverUrl === serverUrl);
  }
  #check() {
    if (this.failWith) throw this.failWith;
  }
}

class MemorySettings implements ServerSettingsSource {
  serverUrl: string | null;
  constructor(serverUrl: string | null = SERVER) {
    this.serverUrl = serverUrl;
  }
  async getServerUrl() {
    return this.serverUrl;
  }
  async setServerUrl(input: string) {
    this.serverUrl = parseServerUrl(input);
    return this.serverUrl;
  }
}

/** A server that rotates refresh tokens and revokes a family on reuse, like proxy-server. */
class ScriptedServer implements AuthApi {
  readonly calls: string[] = [];
  readonly live = new Set<string>();
  readonly revoked = new Set<string>();
  next = 0;
  ttlSeconds = 300;
  now: () => number;
  /** When set, refresh waits for this before answering (to interleave calls). */
  gate: Promise<void> | undefined;
  failNext: AuthClientError | undefined;

  constructor(now: () => number) {
    this.now = now;
  }

  async login({ username, password }: { username: string; password: string }): Promise<DesktopTokenResponse> {
    this.calls.push(`login ${username}`);
    if (this.failNext) throw this.#takeFailure();
    if (password !== 'right') throw new AuthClientError('INVALID_CREDENTIALS', { status: 401, serverCode: 'INVALID_CREDENTIALS' });
    return this.#issue(username);
  }

  async refresh(refreshToken: string): Promise<DesktopTokenResponse> {
    this.calls.push(`refresh ${refreshToken}`);
    await this.gate;
    if (this.failNext) throw this.#takeFailure();
    if (this.revoked.has(refreshToken)) throw new AuthClientError('SESSION_REVOKED', { operation: 'refresh', status: 401, serverCode: 'REFRESH_TOKEN_REUSED' });
    if (!this.live.has(refreshToken)) throw new AuthClientError('SESSION_EXPIRED', { operation: 'refresh', status: 401, serverCode: 'SESSION_EXPIRED' });
    this.live.delete(refreshToken);
    this.revoked.add(refreshToken);
    return this.#issue('rad');
  }

  async logout({ refreshToken }: { refreshToken: string }): Promise<void> {
    this.calls.push(`logout ${refreshToken}`);
    this.live.delete(refreshToken);
    this.revoked.add(refreshToken);
  }

  #takeFailure(): AuthClientError {
    const failure = this.failNext as AuthClientError;
    this.failNext = undefined;
    return failure;
  }

  #issue(username: string): DesktopTokenResponse {
    this.next += 1;
    const refreshToken = `refresh-${this.next}`;
    this.live.add(refreshToken);
    return {
      accessToken: `access-${this.next}`,
      tokenType: 'Bearer',
      expiresIn: this.ttlSeconds,
      expiresAt: new Date(this.now() + this.ttlSeconds * 1000).toISOString(),
      user: { id: 7, username, displayName: 'Dr Rad', role: 'radiologist' },
      refreshToken,
      refreshExpiresAt: new Date(this.now() + 86_400_000).toISOString(),
    };
  }
}

/** A browser partition as the page fills it: cached HTTP answers and stored values by origin. */
class FakePartition implements BrowsingDataPartition {
  readonly cache = new Map<string, string>();
  readonly storage = new Map<string, string>();
  failWith: Error | undefined;
  clears = 0;
  /** What a page of the session leaves behind. */
  fillAsPage(user: string): void {
    this.cache.set(`${SERVER}/api/ris/dicom-web/studies/1.2.3/metadata`, `metadata seen by ${user}`);
    this.storage.set('localStorage:app://reading-station/viewer', `layout of ${user}`);
  }
  isEmpty(): boolean {
    return this.cache.size === 0 && this.storage.size === 0;
  }
  async clearCache() {
    this.clears += 1;
    if (this.failWith) throw this.failWith;
    this.cache.clear();
  }
  async clearStorageData() {
    if (this.failWith) throw this.failWith;
    this.storage.clear();
  }
}

function setUp(options: { settings?: MemorySettings; vault?: MemoryVault; partition?: FakePartition } = {}) {
  let clock = Date.parse('2026-11-27T10:00:00Z');
  const now = () => clock;
  const server = new ScriptedServer(now);
  const vault = options.vault ?? new MemoryVault();
  const settings = options.settings ?? new MemorySettings();
  const warnings: string[] = [];
  const partition = options.partition ?? new FakePartition();
  const service = new SessionService({ vault, settings, partition, createAuthApi: () => server, now, onWarning: (m) => warnings.push(m) });
  const changes: Array<[Session | null, SessionEndReason | undefined]> = [];
  /** Whether the partition was empty when each change was announced (the UI's next screen). */
  const partitionEmptyAtChange: boolean[] = [];
  service.onChange((session, reason) => {
    changes.push([session, reason]);
    partitionEmptyAtChange.push(partition.isEmpty());
  });
  return { service, server, vault, settings, partition, changes, partitionEmptyAtChange, warnings, now, advance: (ms: number) => (clock += ms) };
}

describe('SessionService', () => {
  it('logs in, keeps only the refresh token in the vault, and announces the session', async () => {
    const { service, vault, changes } = setUp();
    const result = await service.login({ username: 'rad', password: 'right' });
    expect(result).toMatchObject({ ok: true, session: { user: { username: 'rad' }, serverUrl: SERVER } });
    expect([...vault.entries.entries()]).toEqual([[`rad@${SERVER}`, { username: 'rad', serverUrl: SERVER, refreshToken: 'refresh-1' }]]);
    expect(JSON.stringify(result)).not.toContain('refresh-1');
    expect(JSON.stringify(result)).not.toContain('access-1');
    expect(changes).toHaveLength(1);
    expect(await service.getAccessToken()).toBe('access-1');
    service.dispose();
  });

  it('reports wrong credentials and an invalid server without touching the vault', async () => {
    const { service, vault } = setUp();
    expect(await service.login({ username: 'rad', password: 'wrong' })).toMatchObject({ ok: false, code: 'INVALID_CREDENTIALS' });
    expect(await service.login({ username: 'rad', password: 'right', serverUrl: 'ftp://pacs' })).toMatchObject({ ok: false, code: 'INVALID_SERVER_URL' });
    expect(vault.entries.size).toBe(0);
  });

  it('passes on a lockout with its wait', async () => {
    const { service, server } = setUp();
    server.failNext = new AuthClientError('LOGIN_LOCKED_OUT', { message: 'too many failed logins', status: 429, retryAfterSeconds: 42 });
    expect(await service.login({ username: 'rad', password: 'right' })).toEqual({ ok: false, code: 'LOGIN_LOCKED_OUT', message: 'too many failed logins', retryAfterSeconds: 42 });
  });

  it('asks an unavailable keychain before sending the password', async () => {
    const vault = new MemoryVault();
    vault.failWith = new KeychainUnavailableError('no-keychain-service');
    const { service, server } = setUp({ vault });
    const result = await service.login({ username: 'rad', password: 'right' });
    expect(result).toMatchObject({ ok: false, code: 'KEYCHAIN_UNAVAILABLE' });
    expect(server.calls).toEqual([]);
  });

  it('revokes the new session when the keychain refuses to store it (locked), and keeps nothing', async () => {
    const vault = new MemoryVault();
    vault.failWritesWith = new KeychainUnavailableError('locked');
    const { service, server, changes } = setUp({ vault });
    const result = await service.login({ username: 'rad', password: 'right' });
    expect(result).toEqual({ ok: false, code: 'KEYCHAIN_UNAVAILABLE', message: new KeychainUnavailableError('locked').message });
    expect(server.calls).toEqual(['login rad', 'logout refresh-1']);
    expect(await service.currentSession()).toBeNull();
    expect(changes).toEqual([]);
  });

  it('shares one renewal among concurrent callers (a second rotation would be a reuse)', async () => {
    const { service, server, vault } = setUp();
    await service.login({ username: 'rad', password: 'right' });
    let open!: () => void;
    server.gate = new Promise((resolve) => (open = resolve));
    const calls = [service.refreshAccessToken(), service.refreshAccessToken(), service.refreshAccessToken()];
    open();
    expect(await Promise.all(calls)).toEqual(['access-2', 'access-2', 'access-2']);
    expect(server.calls.filter((call) => call.startsWith('refresh'))).toEqual(['refresh refresh-1']);
    expect(vault.entries.get(`rad@${SERVER}`)?.refreshToken).toBe('refresh-2');
    service.dispose();
  });

  it('renews before expiry when asked for a token near the end of its life', async () => {
    const { service, server, advance } = setUp();
    await service.login({ username: 'rad', password: 'right' });
    advance(200_000);
    expect(await service.getAccessToken()).toBe('access-1');
    advance(45_000); // 55 s left: inside the 60 s lead
    expect(await service.getAccessToken()).toBe('access-2');
    expect(server.calls).toEqual(['login rad', 'refresh refresh-1']);
    service.dispose();
  });

  it('renews short-lived tokens by the contract’s rule: three quarters into their life', async () => {
    const { service, server, advance } = setUp();
    server.ttlSeconds = 30;
    await service.login({ username: 'rad', password: 'right' });
    advance(22_000); // 8 s left: outside the 7.5 s lead
    expect(await service.getAccessToken()).toBe('access-1');
    advance(600);
    expect(await service.getAccessToken()).toBe('access-2');
    service.dispose();
  });

  it('keeps a still-valid token when renewal fails for a passing reason', async () => {
    const { service, server, advance } = setUp();
    await service.login({ username: 'rad', password: 'right' });
    advance(250_000);
    server.failNext = new AuthClientError('SERVER_UNREACHABLE', { operation: 'refresh' });
    expect(await service.getAccessToken()).toBe('access-1');
    await expect(service.refreshAccessToken()).resolves.toBe('access-2');
    service.dispose();
  });

  it('does not resurrect a session when a renewal lands after logout, and revokes what it got', async () => {
    const { service, server, vault, changes } = setUp();
    await service.login({ username: 'rad', password: 'right' });
    let open!: () => void;
    server.gate = new Promise((resolve) => (open = resolve));
    const renewal = service.refreshAccessToken();
    const loggedOut = service.logout();
    open();
    expect(await loggedOut).toEqual({ revokedOnServer: true, removedFromKeychain: true, clearedBrowsingData: true });
    await renewal;
    expect(await service.currentSession()).toBeNull();
    expect(vault.entries.size).toBe(0);
    expect(server.live.size).toBe(0);
    expect(changes.at(-1)).toEqual([null, 'logout']);
  });

  it.each([
    ['revoked', 'the server reports token reuse', (server: ScriptedServer) => server.revoked.add('refresh-1')],
    ['expired', 'the server no longer knows the session', (server: ScriptedServer) => server.live.delete('refresh-1')],
  ] as const)('ends the session as %s when %s, and forgets it', async (reason, _when, serverSide) => {
    const { service, server, vault, changes } = setUp();
    await service.login({ username: 'rad', password: 'right' });
    serverSide(server);
    expect(await service.refreshAccessToken()).toBeNull();
    expect(changes.at(-1)).toEqual([null, reason]);
    expect(vault.entries.size).toBe(0);
    expect(await service.getAccessToken()).toBeNull();
  });

  it('restores from the vault at start, rotating the stored token', async () => {
    const first = setUp();
    await first.service.login({ username: 'rad', password: 'right' });
    first.service.dispose();
    const second = new SessionService({ vault: first.vault, settings: first.settings, createAuthApi: () => first.server, now: first.now });
    const restored = await second.start();
    expect(restored).toMatchObject({ user: { username: 'rad' }, serverUrl: SERVER });
    expect(await second.getAccessToken()).toBe('access-2');
    expect(first.vault.entries.get(`rad@${SERVER}`)?.refreshToken).toBe('refresh-2');
    second.dispose();
  });

  it('drops a stored session the server no longer honours', async () => {
    const vault = new MemoryVault();
    vault.entries.set(`rad@${SERVER}`, { username: 'rad', serverUrl: SERVER, refreshToken: 'stale' });
    const { service } = setUp({ vault });
    expect(await service.start()).toBeNull();
    expect(vault.entries.size).toBe(0);
  });

  it('keeps a stored session when the server is unreachable at start', async () => {
    const vault = new MemoryVault();
    vault.entries.set(`rad@${SERVER}`, { username: 'rad', serverUrl: SERVER, refreshToken: 'refresh-9' });
    const { service, server } = setUp({ vault });
    server.failNext = new AuthClientError('SERVER_UNREACHABLE', { operation: 'refresh' });
    expect(await service.start()).toBeNull();
    expect(vault.entries.size).toBe(1);
  });

  it('replaces an earlier session at login: revoked on the server, removed from the vault', async () => {
    const { service, server, vault } = setUp();
    await service.login({ username: 'rad', password: 'right' });
    await service.login({ username: 'other', password: 'right' });
    expect(server.revoked.has('refresh-1')).toBe(true);
    expect([...vault.entries.keys()]).toEqual([`other@${SERVER}`]);
    service.dispose();
  });

  it('ends the session when the server changes, and normalises the stored URL', async () => {
    const { service, settings, vault, changes } = setUp();
    await service.login({ username: 'rad', password: 'right' });
    expect(await service.setServerUrl(' https://other.example:8443/ ')).toEqual({ serverUrl: 'https://other.example:8443', editable: true });
    expect(settings.serverUrl).toBe('https://other.example:8443');
    expect(await service.currentSession()).toBeNull();
    expect(vault.entries.size).toBe(0);
    expect(changes.at(-1)).toEqual([null, 'logout']);
  });

  describe('the window’s partition', () => {
    it('is empty after logout, before the sign-in screen is announced', async () => {
      const { service, partition, partitionEmptyAtChange } = setUp();
      await service.login({ username: 'rad', password: 'right' });
      partition.fillAsPage('rad');
      expect(await service.logout()).toMatchObject({ clearedBrowsingData: true });
      expect(partition.cache.size).toBe(0);
      expect(partition.storage.size).toBe(0);
      expect(partitionEmptyAtChange.at(-1)).toBe(true);
    });

    it.each([
      ['revoked', (server: ScriptedServer) => server.revoked.add('refresh-1')],
      ['expired', (server: ScriptedServer) => server.live.delete('refresh-1')],
    ] as const)('is empty when the server ends the session (%s)', async (_reason, serverSide) => {
      const { service, server, partition, partitionEmptyAtChange } = setUp();
      await service.login({ username: 'rad', password: 'right' });
      partition.fillAsPage('rad');
      serverSide(server);
      expect(await service.refreshAccessToken()).toBeNull();
      expect(partition.isEmpty()).toBe(true);
      expect(partitionEmptyAtChange.at(-1)).toBe(true);
    });

    it('is empty when another user signs in over a session, before the new session is announced', async () => {
      const { service, partition, changes, partitionEmptyAtChange } = setUp();
      await service.login({ username: 'rad', password: 'right' });
      partition.fillAsPage('rad');
      await service.login({ username: 'other', password: 'right' });
      expect(changes.at(-1)?.[0]).toMatchObject({ user: { username: 'other' } });
      expect(partitionEmptyAtChange.at(-1)).toBe(true);
    });

    it('is emptied at a login that replaces a session left in the keychain by an earlier start', async () => {
      const vault = new MemoryVault();
      vault.entries.set(`rad@${SERVER}`, { username: 'rad', serverUrl: SERVER, refreshToken: 'left-behind' });
      const partition = new FakePartition();
      partition.fillAsPage('rad');
      const { service } = setUp({ vault, partition });
      await service.login({ username: 'other', password: 'right' });
      expect(partition.isEmpty()).toBe(true);
    });

    it('is left alone by renewals and by a first login on an empty keychain', async () => {
      const { service, partition, advance } = setUp();
      await service.login({ username: 'rad', password: 'right' });
      partition.fillAsPage('rad');
      advance(250_000);
      await service.getAccessToken();
      expect(partition.clears).toBe(0);
      expect(partition.isEmpty()).toBe(false);
      service.dispose();
    });

    it('a partition that cannot be cleared is reported; the logout still completes', async () => {
      const { service, partition, vault, server, warnings } = setUp();
      await service.login({ username: 'rad', password: 'right' });
      partition.failWith = new Error('partition busy');
      expect(await service.logout()).toEqual({ revokedOnServer: true, removedFromKeychain: true, clearedBrowsingData: false });
      expect(vault.entries.size).toBe(0);
      expect(server.live.size).toBe(0);
      expect(warnings.join('\n')).toMatch(/logout: the browsing data could not be cleared \(partition busy\)/);
    });
  });

  it('stores the server a login used', async () => {
    const { service, settings } = setUp({ settings: new MemorySettings(null) });
    expect(await service.getServerSettings()).toEqual({ serverUrl: '', editable: true });
    expect(await service.login({ username: 'rad', password: 'right' })).toMatchObject({ ok: false, code: 'INVALID_SERVER_URL' });
    await service.login({ username: 'rad', password: 'right', serverUrl: 'https://pacs.hospital.example/' });
    expect(settings.serverUrl).toBe(SERVER);
    service.dispose();
  });
});
