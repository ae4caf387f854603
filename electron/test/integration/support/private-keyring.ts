import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real Secret Service (gnome-keyring) on a private D-Bus session, started by the test itself,
 * so the keychain tests run the same from `npm test` as root with no desktop session and without
 * touching anyone's keyring: the keyring files live in a temporary XDG_DATA_HOME.
 *
 * - `unlocked`: a login keyring created and unlocked with a random password (the recipe in docs/facts.md, keytar).
 * - `locked`: the daemon runs but no login collection is unlocked; writes fail as on a locked
 *   desktop ("Object does not exist at path …/collection/login").
 *
 * Needs `dbus-run-session` (dbus) and `gnome-keyring-daemon` (gnome-keyring, dbus-x11), which
 * scripts/lib.sh installs.
 */
export interface PrivateKeyring {
  /** DBUS_SESSION_BUS_ADDRESS of the private session. */
  busAddress: string;
  /** Stops the session; the keyring daemon exits with its bus. */
  stop(): Promise<void>;
}

const SCRIPT = `
set -e
if [ "$RS_KEYRING_MODE" = unlocked ]; then
  printf %s "$RS_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
else
  gnome-keyring-daemon --start --components=secrets >/dev/null
fi
echo "READY $DBUS_SESSION_BUS_ADDRESS"
# Lives as long as the test holds stdin open; if the test dies, the pipe closes and all of it ends.
exec cat >/dev/null
`;

export async function startPrivateKeyring(mode: 'unlocked' | 'locked'): Promise<PrivateKeyring> {
  const home = mkdtempSync(join(tmpdir(), 'rs-keyring-'));
  const runtime = join(home, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  const child = spawn('dbus-run-session', ['--', 'sh', '-c', SCRIPT], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_DATA_HOME: join(home, 'data'),
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_CACHE_HOME: join(home, 'cache'),
      XDG_RUNTIME_DIR: runtime,
      RS_KEYRING_MODE: mode,
      RS_KEYRING_PASSWORD: randomBytes(12).toString('hex'),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const busAddress = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the private keyring did not start in 20 s: ${stderr.trim()}`)), 20_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run dbus-run-session (install dbus and gnome-keyring): ${error.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the private keyring exited with ${code}: ${stderr.trim()}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^READY (\S+)$/m.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return {
    busAddress,
    stop: async () => {
      await stopChild(child);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGTERM'), 5_000);
  await exited;
  clearTimeout(timer);
}
