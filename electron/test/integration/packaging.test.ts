import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { extractFile, listPackage, statFile } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStandInElectronDist } from './support/stand-in-electron-dist.ts';

/*
 * Packaging for real with electron-builder (the `dir` target: what every installer wraps), using
 * a stand-in Electron distribution because none can be downloaded here (docs/facts.md, Electron). Everything
 * else is the real thing: electron-builder.yml, the tsc build, the built renderer, production
 * node_modules, asar packing and unpacking, and the fuses flipped in the executable. Network
 * access is pointed at a closed local port, so any download attempt would fail this test.
 */

const execFileAsync = promisify(execFile);

/** Runs a command; on failure the error carries its output (electron-builder says why there). */
async function run(command: string, args: string[], options: Parameters<typeof execFileAsync>[2] = {}): Promise<void> {
  try {
    await execFileAsync(command, args, { maxBuffer: 16 * 1024 * 1024, ...options });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${String(stdout).slice(-4000)}\n${String(stderr).slice(-4000)}`, { cause: error });
  }
}
const require = createRequire(import.meta.url);
const electronDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const repoRoot = join(electronDir, '..');
const rendererDist = join(repoRoot, 'renderer', 'dist');
const electronVersion = (JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')) as { version: string }).version;

// Each configured fuse starts in the opposite state, so the result shows the config flipped it;
// WasmTrapHandlers is not configured and must stay as Electron ships it.
const wanted: Record<number, boolean> = {
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};
const initialFuses = [...Object.values(wanted).map((on) => !on), true];

let work: string;
let appOut: string;
let asarPath: string;
let asarFiles: string[];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'rs-packaging-'));
  const node = process.execPath;
  await run(node, [join(electronDir, 'scripts', 'build.ts')], { cwd: electronDir });
  if (!existsSync(join(rendererDist, 'index.html'))) {
    // `npm test` builds the web app before the integration tests; on its own, build it here.
    await run('npm', ['run', 'build', '--workspace', 'renderer', '--silent'], { cwd: repoRoot });
  }
  const electronDist = join(work, 'electron-dist');
  writeStandInElectronDist(electronDist, electronVersion, initialFuses);
  const closed = 'http://127.0.0.1:9';
  await run(
    node,
    [require.resolve('electron-builder/cli.js'), '--dir', '--linux', '--x64', `-c.electronDist=${electronDist}`, `-c.directories.output=${join(work, 'out')}`],
    {
      cwd: repoRoot,
      timeout: 150_000,
      env: { ...process.env, HTTPS_PROXY: closed, HTTP_PROXY: closed, https_proxy: closed, http_proxy: closed, NO_PROXY: '', ELECTRON_GET_USE_PROXY: '1', CI: 'true' },
    },
  );
  appOut = join(work, 'out', 'linux-unpacked');
  asarPath = join(appOut, 'resources', 'app.asar');
  asarFiles = listPackage(asarPath, { isPack: false }).map((file) => file.replaceAll('\\', '/'));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('electron-builder dir target', () => {
  it('builds linux-unpacked with the named executable and app.asar', () => {
    expect(statSync(join(appOut, 'reading-station')).mode & 0o111).not.toBe(0);
    expect(existsSync(asarPath)).toBe(true);
  });

  it('packs the built main process and the package.json that points at it', () => {
    const manifest = JSON.parse(extractFile(asarPath, 'package.json').toString('utf8')) as { main: string; type: string; devDependencies?: unknown };
    expect(manifest.main).toBe('dist/main/main.js');
    expect(manifest.type).toBe('module');
    for (const file of ['/dist/main/main.js', '/dist/main/window.js', '/dist/ipc/ipc-main.js', '/dist/services/session-service.js']) {
      expect(asarFiles).toContain(file);
    }
  });

  it('packs a CommonJS preload that requires nothing but electron', () => {
    expect(asarFiles).toContain('/dist/preload/preload.js');
    const preload = extractFile(asarPath, 'dist/preload/preload.js').toString('utf8');
    expect(preload).toContain('exposeInMainWorld(\'readingStation\'');
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('packs every file of the built renderer under renderer/', () => {
    const expected = filesUnder(rendererDist).map((file) => posix.join('/renderer', relative(rendererDist, file).replaceAll('\\', '/')));
    expect(expected).toContain('/renderer/index.html');
    for (const file of expected) expect(asarFiles).toContain(file);
  });

  it('resolves every relative import of the packed main process inside the archive', () => {
    const missing: string[] = [];
    for (const file of asarFiles.filter((f) => f.startsWith('/dist/') && f.endsWith('.js'))) {
      const source = extractFile(asarPath, file.slice(1)).toString('utf8');
      for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
        const target = posix.join(posix.dirname(file), specifier ?? '');
        if (!asarFiles.includes(target)) missing.push(`${file} → ${specifier}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('ships production dependencies only, and no sources or tests', () => {
    for (const name of ['zod', 'keytar']) expect(asarFiles).toContain(`/node_modules/${name}/package.json`);
    // The contract is compiled into dist/contract (its TypeScript source cannot run from an asar).
    expect(asarFiles).toContain('/dist/contract/index.js');
    for (const name of ['electron', 'electron-builder', '@electron/asar', 'vitest', 'typescript', 'axios', '@reading-station/contract']) {
      expect(asarFiles).not.toContain(`/node_modules/${name}/package.json`);
    }
    const ours = asarFiles.filter((file) => !file.startsWith('/node_modules/'));
    expect(ours.filter((file) => /\.ts$|\.test\.|\/src\/|\/test\//.test(file))).toEqual([]);
  });

  it('unpacks keytar\'s native module from the archive', () => {
    const inArchive = 'node_modules/keytar/build/Release/keytar.node';
    expect(statFile(asarPath, inArchive)).toMatchObject({ unpacked: true });
    const onDisk = join(appOut, 'resources', 'app.asar.unpacked', inArchive);
    expect(statSync(onDisk).size).toBeGreaterThan(10_000);
    expect(readFileSync(onDisk).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46])); // ELF
  });

  it('flips the Electron fuses as configured', async () => {
    const wire = await getCurrentFuseWire(join(appOut, 'reading-station'));
    const state = (fuse: FuseV1Options) => String.fromCharCode(wire[fuse] as number);
    for (const [fuse, on] of Object.entries(wanted)) expect(`${FuseV1Options[Number(fuse)]}=${state(Number(fuse))}`).toBe(`${FuseV1Options[Number(fuse)]}=${on ? '1' : '0'}`);
    expect(state(FuseV1Options.WasmTrapHandlers)).toBe('1');
  });
});

/** What electron-builder prints when it cannot fetch a tool set (no route to GitHub or its mirror). */
const TOOL_DOWNLOAD_FAILED = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|unable to download|cannot download|status code 40[34]/i;

describe('Linux installers (deb, AppImage)', () => {
  // electron-builder downloads fpm and the AppImage runtime from GitHub (or
  // ELECTRON_BUILDER_BINARIES_MIRROR) into its cache. Where it can, both installers are built from
  // the unpacked app above and checked; where it cannot, the test says so in one line and skips.
  it('wraps the unpacked app into a deb that recommends a keyring and an executable AppImage', async (context) => {
    const out = join(work, 'installers');
    try {
      await run(
        process.execPath,
        [require.resolve('electron-builder/cli.js'), '--linux', 'deb', 'AppImage', '--x64', '--prepackaged', appOut, `-c.directories.output=${out}`],
        { cwd: repoRoot, timeout: 300_000, env: { ...process.env, CI: 'true' } },
      );
    } catch (error) {
      const cause = TOOL_DOWNLOAD_FAILED.exec((error as Error).message);
      if (!cause) throw error;
      console.log(`deb and AppImage not built: electron-builder could not download its tool sets (fpm, the AppImage runtime: ${cause[0]}); set ELECTRON_BUILDER_BINARIES_MIRROR where GitHub is unreachable`);
      context.skip();
      return;
    }
    const built = readdirSync(out);
    const deb = built.find((file) => file.endsWith('.deb'));
    const appImage = built.find((file) => file.endsWith('.AppImage'));
    expect(deb, built.join(', ')).toBeDefined();
    expect(appImage, built.join(', ')).toBeDefined();
    const { stdout } = await execFileAsync('dpkg-deb', ['-f', join(out, deb ?? ''), 'Package', 'Recommends']);
    expect(stdout).toMatch(/^Package: reading-station$/m);
    expect(stdout).toMatch(/^Recommends:.*gnome-keyring/m);
    const image = join(out, appImage ?? '');
    expect(statSync(image).mode & 0o111).not.toBe(0);
    expect(readFileSync(image).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46])); // ELF runtime
  }, 330_000);
});
