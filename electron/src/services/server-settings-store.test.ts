import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerSettingsError, ServerSettingsStore } from './server-settings-store.ts';
import { InvalidServerUrlError, parseServerUrl } from './server-url.ts';

describe('parseServerUrl', () => {
  it.each([
    ['https://pacs.hospital.example', 'https://pacs.hospital.example'],
    [' https://PACS.Hospital.example/ ', 'https://pacs.hospital.example'],
    ['https://10.1.2.3:8443', 'https://10.1.2.3:8443'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:8080/', 'http://localhost:8080'],
    ['https://pacs.example:443/', 'https://pacs.example'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
  ])('normalises %s to its origin', (input, origin) => {
    expect(parseServerUrl(input)).toBe(origin);
  });

  it.each(['pacs.hospital.example', 'http://pacs.hospital.example', 'http://10.1.2.3:8080', 'http://127.0.0.1.evil.example', 'ftp://pacs.example', 'file:///etc', 'javascript:alert(1)', 'https://user:pw@pacs.example', 'https://pacs.example/api', 'https://pacs.example/?x=1', 'https://pacs.example/#a', ''])(
    'refuses %s',
    (input) => {
      expect(() => parseServerUrl(input)).toThrow(InvalidServerUrlError);
    },
  );
});

describe('ServerSettingsStore', () => {
  const dirs: string[] = [];
  const store = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-settings-'));
    dirs.push(dir);
    return new ServerSettingsStore(join(dir, 'userData'));
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('has no server until one is set, then keeps only the normalised URL, readable by the user alone', async () => {
    const settings = store();
    expect(await settings.getServerUrl()).toBeNull();
    expect(await settings.setServerUrl('https://pacs.hospital.example/')).toBe('https://pacs.hospital.example');
    expect(JSON.parse(readFileSync(settings.file, 'utf8'))).toEqual({ serverUrl: 'https://pacs.hospital.example' });
    expect(statSync(settings.file).mode & 0o077).toBe(0);
    expect(await new ServerSettingsStore(join(settings.file, '..')).getServerUrl()).toBe('https://pacs.hospital.example');
  });

  it('refuses to store an invalid URL', async () => {
    const settings = store();
    await expect(settings.setServerUrl('https://pacs.example/path')).rejects.toBeInstanceOf(InvalidServerUrlError);
    expect(await settings.getServerUrl()).toBeNull();
  });

  it.each([
    ['broken JSON', '{'],
    ['an extra key (nothing else belongs in this file)', '{"serverUrl":"https://pacs.example","refreshToken":"x"}'],
    ['a URL that is not an origin', '{"serverUrl":"https://pacs.example/x"}'],
  ])('reports a file with %s as invalid instead of using it', async (_label, content) => {
    const settings = store();
    await settings.setServerUrl('https://pacs.example');
    writeFileSync(settings.file, content);
    await expect(settings.getServerUrl()).rejects.toBeInstanceOf(ServerSettingsError);
  });
});
