import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOrthancVersion, locateOrthanc } from '../../src/orthanc.ts';

// Setup's slowest step, run from nothing on every test run: the machine's cached Orthanc root
// (~/.cache/reading-station) would otherwise hide a broken build step from CI for good.
const execFileAsync = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../../..');
const scratch = mkdtempSync(path.join(tmpdir(), 'rs-setup-'));

/** Runs one function of scripts/lib.sh in a fresh bash, as setup would. */
function runSetupStep(step: string, args: string[], env: Record<string, string> = {}) {
  const inherited = { ...process.env };
  delete inherited.READING_STATION_DEBIAN_MIRROR;
  return execFileAsync('bash', ['-c', `source "$0/scripts/lib.sh"; ${step} "$@"`, repo, ...args], {
    env: { ...inherited, ...env },
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('setup from an empty cache', () => {
  it('builds an Orthanc root that runs Orthanc >= 1.13 with the DICOMweb plugin', { timeout: 600_000 }, async () => {
    const root = path.join(scratch, 'orthanc-root');
    await runSetupStep('build_orthanc_root', [root]);
    const installation = locateOrthanc(root);
    expect(installation.plugins.map((plugin) => path.basename(plugin))).toContain('libOrthancDicomWeb.so');
    const version = await checkOrthancVersion(installation);
    expect(version).toMatch(/^1\.(1[3-9]|[2-9]\d)\.\d+$/);
  });

  it('names the failing step and what to do in one line when the mirror is unreachable', { timeout: 120_000 }, async () => {
    const root = path.join(scratch, 'unreachable-root');
    const failure = await runSetupStep('build_orthanc_root', [root], { READING_STATION_DEBIAN_MIRROR: 'http://127.0.0.1:9/debian' }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure, 'the build must fail against an unreachable mirror').toBeDefined();
    expect(failure?.code).not.toBe(0);
    const errorLines = failure?.stderr.split('\n').filter((line) => line.includes('error:')) ?? [];
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain('Orthanc root');
    expect(errorLines[0]).toContain('http://127.0.0.1:9/debian');
    expect(errorLines[0]).toContain('READING_STATION_DEBIAN_MIRROR');
  });

  it('reports a step that fails without its own check through the ERR trap, never silently', async () => {
    const failure = await execFileAsync('bash', ['-c', `source "$0/scripts/lib.sh"; begin_step "probe" "do the thing"; grep -q x /nonexistent/file`, repo]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(/error:.*setup step "probe" failed \(exit 2: grep -q x \/nonexistent\/file\); do the thing/);
  });
});
