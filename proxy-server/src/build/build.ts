/**
 * Emits proxy-server as plain JavaScript into dist/ (`tsc -p tsconfig.build.json`, no type check:
 * that is `npm run typecheck`'s job). The gate runs from dist/ in production: Node then loads no
 * TypeScript stripper, which saves memory and start-up time.
 *
 * The contract (@reading-station/contract, TypeScript source) is compiled in beside the output, as
 * dist/contract/, and the output's imports of it point there (contract/scripts/emit-javascript.ts).
 *
 * The build goes to a fresh directory that then replaces dist/ by rename, so a gate starting
 * meanwhile never loads half-written output. `ensureBuilt` rebuilds only when a source (the
 * contract's included) or the build configuration is newer than the last build.
 *
 *   node proxy-server/src/build/build.ts [--if-stale]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitContractInto, newestContractSource } from '@reading-station/contract/emit-javascript';

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STAMP = '.built';

export interface BuildLayout {
  /** The package: src/, tsconfig.build.json, dist/. */
  packageDir: string;
}

const distOf = (layout: BuildLayout) => path.join(layout.packageDir, 'dist');

/** The newest modification time among the inputs of the build, in ms. */
export function newestInput(layout: BuildLayout): number {
  let newest = Math.max(statSync(path.join(layout.packageDir, 'tsconfig.build.json')).mtimeMs, newestContractSource());
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(path.join(layout.packageDir, 'src'));
  return newest;
}

/** Whether dist/ is missing or older than a source file. */
export function isStale(layout: BuildLayout): boolean {
  const stamp = path.join(distOf(layout), STAMP);
  return !existsSync(stamp) || statSync(stamp).mtimeMs < newestInput(layout);
}

export function build(layout: BuildLayout = { packageDir }): void {
  const dist = distOf(layout);
  const staging = `${dist}.building-${process.pid}`;
  const retired = `${dist}.old-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(layout.packageDir, 'tsconfig.build.json'), '--outDir', staging], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    emitContractInto(staging);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const output = (error as { stdout?: Buffer }).stdout?.toString().trim();
    throw new Error(`building proxy-server failed${output ? `:\n${output}` : ''}`, { cause: error });
  }
  writeFileSync(path.join(staging, STAMP), `${new Date().toISOString()}\n`);
  // Another build may swap its output in at the same time: whichever lands, dist/ is whole.
  ignoring(['ENOENT'], () => renameSync(dist, retired));
  ignoring(['ENOTEMPTY', 'EEXIST'], () => renameSync(staging, dist));
  rmSync(staging, { recursive: true, force: true });
  rmSync(retired, { recursive: true, force: true });
}

function ignoring(codes: readonly string[], action: () => void): void {
  try {
    action();
  } catch (error) {
    if (!codes.includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}

/** Builds when dist/ is stale; returns whether it did. */
export function ensureBuilt(layout: BuildLayout = { packageDir }): boolean {
  if (!isStale(layout)) return false;
  build(layout);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  const built = ifStale ? ensureBuilt() : (build(), true);
  console.log(built ? 'built proxy-server/dist' : 'proxy-server/dist is up to date');
}
