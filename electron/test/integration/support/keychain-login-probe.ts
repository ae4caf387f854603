/**
 * Logs in through the real SessionService and KeytarTokenVault in a process of its own, and
 * prints the LoginResult as JSON. Run by session-service.test.ts under a D-Bus session of a
 * chosen state (locked keyring, or none at all): libsecret binds a process to the first session
 * bus it finds, so each keychain state needs its own process.
 *
 * Input comes from the environment (RS_PROBE_SERVER, RS_PROBE_USERNAME, RS_PROBE_PASSWORD,
 * RS_PROBE_USER_DATA), never argv, so the password does not show in process listings.
 */
import { createDesktopAuthApi } from '../../../src/services/auth-api.ts';
import { KeytarTokenVault } from '../../../src/services/keytar-token-vault.ts';
import { ServerSettingsStore } from '../../../src/services/server-settings-store.ts';
import { SessionService } from '../../../src/services/session-service.ts';

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const service = new SessionService({
  vault: new KeytarTokenVault(),
  settings: new ServerSettingsStore(need('RS_PROBE_USER_DATA')),
  createAuthApi: (serverUrl) => createDesktopAuthApi(serverUrl),
});
const result = await service.login({ username: need('RS_PROBE_USERNAME'), password: need('RS_PROBE_PASSWORD'), serverUrl: need('RS_PROBE_SERVER') });
service.dispose();
process.stdout.write(`${JSON.stringify(result)}\n`);
