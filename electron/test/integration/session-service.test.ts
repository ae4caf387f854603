import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import keytar from 'keytar';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runningStack, demoUser, type RunningStack } from '@reading-station/stack';
import type { Session, SessionEndReason } from '@reading-station/contract';
import { createDesktopAuthApi } from '../../src/services/auth-api.ts';
import { KeytarTokenVault } from '../../src/services/keytar-token-vault.ts';
import { ServerSettingsStore } from '../../src/services/server-settings-store.ts';
import { SessionService } from '../../src/services/session-service.ts';
import { KeychainUnavailableError, VAULT_SERVICE } from '../../src/services/token-vault.ts';
import { startPrivateKeyring, type PrivateKeyring } from './support/private-keyring.ts';

/*
 * The desktop session against the real stack (nginx → proxy-server) and a real gnome-keyring on a
 * private D-Bus session that this file starts itself (support/private-keyring.ts), so it needs no
 * desktop session: `npm test` as root works as is.
 */

const USERNAME = 'rad.okafor';
const run = promisify(execFile);

let stack: RunningStack;
let serverUrl: string;
let keyring: PrivateKeyring;
const scratch: string[] = [];
const services: SessionService[] = [];

function userDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rs-userdata-'));
  scratch.push(dir);
  return dir;
}

function newService(userData: string, options: { now?: () => number } = {}) {
  const service = new SessionService({
    vault: new KeytarTokenVault(),
    settings: new ServerSettingsStore(userData),
    createAuthApi: (url) => createDesktopAuthApi(url, { userAgent: 'ReadingStation-tests (desktop)' }),
    ...options,
  });
  const changes: Array<[Session | null, SessionEndReason | undefined]> = [];
  service.onChange((session, reason) => changes.push([session, reason]));
  services.push(service);
  return { service, changes };
}

const account = () => `${USERNAME}@${serverUrl}`;
const stored = () => keytar.getPassword(VAULT_SERVICE, account());

async function refreshDirectly(refreshToken: string): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${serverUrl}/api/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken, client: 'desktop' }),
  });
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  return { status: response.status, ...(body.code ? { code: body.code } : {}) };
}

async function worklistStatus(accessToken: string | null): Promise<number> {
  const response = await fetch(`${serverUrl}/api/ris/worklist`, { headers: { authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status;
}

beforeAll(async () => {
  stack = runningStack();
  serverUrl = new URL(stack.baseUrl).origin;
  keyring = await startPrivateKeyring('unlocked');
  // libsecret connects to this bus on this process's first keychain call (none happened yet).
  process.env.DBUS_SESSION_BUS_ADDRESS = keyring.busAddress;
});

afterEach(async () => {
  for (const service of services.splice(0)) {
    await service.logout().catch(() => undefined);
    service.dispose();
  }
});

afterAll(async () => {
  delete process.env.DBUS_SESSION_BUS_ADDRESS;
  await keyring?.stop();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('desktop session on the real stack and gnome-keyring', () => {
  const password = () => demoUser(stack, USERNAME).password;

  it('stores the refresh token in the keychain at login, restores from it, rotates it, and treats an old one as theft', async () => {
    const userData = userDataDir();
    const first = newService(userData);
    const login = await first.service.login({ username: USERNAME, password: password(), serverUrl: stack.baseUrl });
    expect(login).toMatchObject({ ok: true, session: { user: { username: USERNAME, role: 'radiologist' }, serverUrl } });
    expect(first.changes).toHaveLength(1);

    // Read back with keytar itself: the keychain holds the refresh token, and nothing the page
    // receives contains it.
    const atLogin = await stored();
    expect(atLogin).toMatch(/\S{20,}/);
    expect(JSON.stringify(login)).not.toContain(atLogin!);
    expect(await worklistStatus(await first.service.getAccessToken())).toBe(200);
    first.service.dispose();
    services.splice(services.indexOf(first.service), 1);

    // A new instance (the next app start) restores the session from the keychain; the server
    // rotates the token on the way.
    const second = newService(userData);
    const restored = await second.service.start();
    expect(restored).toMatchObject({ user: { username: USERNAME }, serverUrl });
    const afterRestore = await stored();
    expect(afterRestore).not.toBe(atLogin);
    expect(await worklistStatus(await second.service.getAccessToken())).toBe(200);

    // Renewal rotates again: the keychain value changes and the new access token works.
    const accessBefore = await second.service.getAccessToken();
    const renewed = await second.service.refreshAccessToken();
    expect(renewed).not.toBe(accessBefore);
    const afterRefresh = await stored();
    expect(afterRefresh).not.toBe(afterRestore);
    expect(await worklistStatus(renewed)).toBe(200);

    // The rotated-away token is refused; presenting it revokes the whole session (reuse detection).
    // The server then answers the family's current token with SESSION_EXPIRED, so the app ends the
    // session as expired and removes it from the keychain.
    expect(await refreshDirectly(afterRestore!)).toEqual({ status: 401, code: 'REFRESH_TOKEN_REUSED' });
    expect(await second.service.refreshAccessToken()).toBeNull();
    expect(second.changes.at(-1)).toEqual([null, 'expired']);
    expect(await stored()).toBeNull();
  });

  it('renews before expiry when a token is about to expire', async () => {
    let skew = 0;
    const { service } = newService(userDataDir(), { now: () => Date.now() + skew });
    const login = await service.login({ username: USERNAME, password: password(), serverUrl: stack.baseUrl });
    if (!login.ok) throw new Error(login.message);
    const first = await service.getAccessToken();
    const inKeychain = await stored();
    // Move the service's clock to one second before expiry: inside the renewal lead.
    skew = Date.parse(login.session.accessTokenExpiresAt) - Date.now() - 1_000;
    const renewed = await service.getAccessToken();
    skew = 0;
    expect(renewed).not.toBe(first);
    expect(await stored()).not.toBe(inKeychain);
    expect(await worklistStatus(renewed)).toBe(200);
  });

  it('sends concurrent renewals to the server once (a second rotation would revoke the session)', async () => {
    const { service, changes } = newService(userDataDir());
    expect(await service.login({ username: USERNAME, password: password(), serverUrl: stack.baseUrl })).toMatchObject({ ok: true });
    const tokens = await Promise.all([service.refreshAccessToken(), service.refreshAccessToken(), service.refreshAccessToken()]);
    expect(new Set(tokens).size).toBe(1);
    expect(await worklistStatus(tokens[0] ?? null)).toBe(200);
    // Still alive: no reuse was detected.
    expect(await worklistStatus(await service.refreshAccessToken())).toBe(200);
    expect(changes.map(([, reason]) => reason)).toEqual([undefined]);
  });

  it('logout revokes the session on the server and deletes it from the keychain', async () => {
    const { service, changes } = newService(userDataDir());
    expect(await service.login({ username: USERNAME, password: password(), serverUrl: stack.baseUrl })).toMatchObject({ ok: true });
    const token = await stored();
    expect(token).not.toBeNull();
    expect(await service.logout()).toEqual({ revokedOnServer: true, removedFromKeychain: true, clearedBrowsingData: true });
    expect(await stored()).toBeNull();
    expect((await refreshDirectly(token!)).status).toBe(401);
    expect(await service.getAccessToken()).toBeNull();
    expect(changes.at(-1)).toEqual([null, 'logout']);
  });

  it('reports wrong credentials from the server and stores nothing', async () => {
    const { service } = newService(userDataDir());
    const result = await service.login({ username: USERNAME, password: `wrong-${randomUUID()}`, serverUrl: stack.baseUrl });
    expect(result).toMatchObject({ ok: false, code: 'INVALID_CREDENTIALS' });
    expect(await stored()).toBeNull();
  });

  describe('when the keychain cannot be used', () => {
    const probe = fileURLToPath(new URL('./support/keychain-login-probe.ts', import.meta.url));
    const probeEnv = () => ({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      RS_PROBE_SERVER: stack.baseUrl,
      RS_PROBE_USERNAME: USERNAME,
      RS_PROBE_PASSWORD: password(),
      RS_PROBE_USER_DATA: userDataDir(),
    });

    it('a locked keyring gives the clear "locked" error', async () => {
      const locked = await startPrivateKeyring('locked');
      try {
        const { stdout } = await run(process.execPath, [probe], { env: { ...probeEnv(), DBUS_SESSION_BUS_ADDRESS: locked.busAddress }, timeout: 30_000 });
        expect(JSON.parse(stdout)).toEqual({ ok: false, code: 'KEYCHAIN_UNAVAILABLE', message: new KeychainUnavailableError('locked').message });
      } finally {
        await locked.stop();
      }
    });

    it('no Secret Service at all (no D-Bus session) gives its own clear error, before the password is sent', async () => {
      const { stdout } = await run(process.execPath, [probe], { env: probeEnv(), timeout: 30_000 });
      expect(JSON.parse(stdout)).toEqual({ ok: false, code: 'KEYCHAIN_UNAVAILABLE', message: new KeychainUnavailableError('no-keychain-service').message });
    });
  });
});
