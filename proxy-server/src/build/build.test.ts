import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { build, ensureBuilt, isStale } from './build.ts';

// Each case runs the TypeScript compiler in a child process: seconds when idle, far more on a busy 2-core machine.
describe('proxy-server build', { timeout: 120_000 }, () => {
  let packageDir: string;
  const layout = () => ({ packageDir });
  const src = (name: string) => path.join(packageDir, 'src', name);
  const dist = (name: string) => path.join(packageDir, 'dist', name);

  beforeEach(() => {
    packageDir = mkdtempSync(path.join(tmpdir(), 'rs-build-'));
    mkdirSync(path.join(packageDir, 'src'));
    writeFileSync(path.join(packageDir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      path.join(packageDir, 'tsconfig.build.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2024',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          allowImportingTsExtensions: true,
          rewriteRelativeImportExtensions: true,
          types: [],
          rootDir: 'src',
          outDir: 'dist',
          noCheck: true,
        },
        include: ['src/**/*.ts'],
        exclude: ['src/**/*.test.ts'],
      }),
    );
    writeFileSync(src('main.ts'), "import { greeting } from './greeting.ts';\nconst who: string = 'gate';\nconsole.log(greeting(who));\n");
    writeFileSync(src('greeting.ts'), 'export const greeting = (who: string): string => `hello ${who}`;\n');
    writeFileSync(src('main.test.ts'), 'export {};\n');
  });
  afterEach(() => rmSync(packageDir, { recursive: true, force: true }));

  it('emits runnable JavaScript with .js imports, without tests', () => {
    expect(isStale(layout())).toBe(true);
    expect(ensureBuilt(layout())).toBe(true);
    expect(readFileSync(dist('main.js'), 'utf8')).toContain('from "./greeting.js"');
    expect(existsSync(dist('main.test.js'))).toBe(false);
    expect(execFileSync(process.execPath, [dist('main.js')], { encoding: 'utf8' })).toBe('hello gate\n');
  });

  it('rebuilds only when a source is newer than the last build', () => {
    ensureBuilt(layout());
    expect(isStale(layout())).toBe(false);
    expect(ensureBuilt(layout())).toBe(false);

    // A test file does not make the build stale; a source does.
    const later = new Date(Date.now() + 60_000);
    utimesSync(src('main.test.ts'), later, later);
    expect(isStale(layout())).toBe(false);
    writeFileSync(src('greeting.ts'), 'export const greeting = (who: string): string => `hi ${who}`;\n');
    utimesSync(src('greeting.ts'), later, later);
    expect(isStale(layout())).toBe(true);
    expect(ensureBuilt(layout())).toBe(true);
    expect(execFileSync(process.execPath, [dist('main.js')], { encoding: 'utf8' })).toBe('hi gate\n');
  });

  it('drops output of deleted sources and leaves no staging directories', () => {
    writeFileSync(src('old.ts'), 'export const old = 1;\n');
    build(layout());
    expect(existsSync(dist('old.js'))).toBe(true);
    rmSync(src('old.ts'));
    build(layout());
    expect(existsSync(dist('old.js'))).toBe(false);
    expect(execFileSync('ls', ['-A', packageDir], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(
      ['dist', 'package.json', 'src', 'tsconfig.build.json'],
    );
  });

  it('keeps the previous build when the compiler fails, and says what failed', () => {
    build(layout());
    writeFileSync(path.join(packageDir, 'tsconfig.build.json'), '{ "compilerOptions": { "module": "no-such-module" }, "include": ["src/**/*.ts"] }');
    expect(() => build(layout())).toThrow(/building proxy-server failed:[\s\S]*TS6046/);
    expect(execFileSync(process.execPath, [dist('main.js')], { encoding: 'utf8' })).toBe('hello gate\n');
    expect(existsSync(path.join(packageDir, `dist.building-${process.pid}`))).toBe(false);
  });
});
