import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { parseServerUrl, serverOriginSchema } from './server-url.ts';

/** The settings file exists but is not one this version wrote; the message names the file. */
export class ServerSettingsError extends Error {
  override readonly name = 'ServerSettingsError';
}

// Strict: the file holds the server URL and nothing else. Anything token-like appearing here
// would break the token model (docs/security.md, tokens), so an unknown key makes the file invalid rather than ignored.
const settingsFileSchema = z.strictObject({ serverUrl: serverOriginSchema });

export const SETTINGS_FILE_NAME = 'settings.json';

/**
 * The server URL, kept in `<userData>/settings.json`. Hospital IT may pre-seed that file; the
 * user may change it from the login screen. Nothing else is ever written here.
 */
export class ServerSettingsStore {
  readonly file: string;

  constructor(userDataDir: string) {
    this.file = join(userDataDir, SETTINGS_FILE_NAME);
  }

  /** The configured server origin, or null when none has been set yet. */
  async getServerUrl(): Promise<string | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new ServerSettingsError(`cannot read ${this.file}: ${(error as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ServerSettingsError(`${this.file} is not valid JSON; set the server again from the login screen`);
    }
    const parsed = settingsFileSchema.safeParse(json);
    if (!parsed.success) {
      throw new ServerSettingsError(`${this.file} must be {"serverUrl": "https://…"} and nothing else; set the server again from the login screen`);
    }
    return parsed.data.serverUrl;
  }

  /** Validates (InvalidServerUrlError), normalises to the origin, stores and returns it. */
  async setServerUrl(input: string): Promise<string> {
    const serverUrl = parseServerUrl(input);
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    // Write-then-rename so a crash never leaves a half-written file that would hide the setting.
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ serverUrl }, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.file);
    return serverUrl;
  }
}
