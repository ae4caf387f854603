import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// scripts/lib.sh's `npm_deps_fingerprint`: setup runs `npm ci` again (and so the root's
// postinstall, which applies patches/) whenever it changes.
const lib = path.join(import.meta.dirname, 'lib.sh');
const roots: string[] = [];

function root(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rs-deps-'));
  roots.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function fingerprint(dir: string): string {
  return execFileSync('bash', ['-c', 'source "$1" && npm_deps_fingerprint "$2"', 'test', lib, dir], { encoding: 'utf8' }).trim();
}

afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('what an installed node_modules was made from', () => {
  it('is the same for the same lock file and patches', () => {
    const a = fingerprint(root({ 'package-lock.json': '{"lockfileVersion":3}' }));
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint(root({ 'package-lock.json': '{"lockfileVersion":3}' }))).toBe(a);
  });

  it('changes with the lock file', () => {
    expect(fingerprint(root({ 'package-lock.json': '{"lockfileVersion":3}' }))).not.toBe(fingerprint(root({ 'package-lock.json': '{"lockfileVersion":2}' })));
  });

  it('changes when a patch is added or changed, the lock file staying as it is', () => {
    const lock = { 'package-lock.json': '{"lockfileVersion":3}' };
    const none = fingerprint(root(lock));
    const one = fingerprint(root({ ...lock, 'patches/a+1.0.0.patch': 'diff --git a/x b/x\n+one\n' }));
    const changed = fingerprint(root({ ...lock, 'patches/a+1.0.0.patch': 'diff --git a/x b/x\n+two\n' }));
    expect(new Set([none, one, changed]).size).toBe(3);
  });
});
