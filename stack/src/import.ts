import { spawn } from 'node:child_process';
import path from 'node:path';
import type { StackConfig } from './config.ts';
import { repoRoot } from './config.ts';
import { StackError } from './errors.ts';
import { stackLayout } from './layout.ts';
import { readStackFile } from './stack-file.ts';

/** The admin CLI (`reading-station-admin`), run from its TypeScript sources. */
const adminCli = path.join(repoRoot, 'proxy-server/src/cli.ts');

/**
 * `study import` of the admin CLI against the running stack: the gate's own configuration file
 * (its database, Orthanc's URL and the credentials this start made), so files go to this stack's
 * Orthanc and the command returns once this stack's gate has recorded their studies. Relative
 * paths are taken from where the command was typed (npm runs scripts from the repository root).
 * Resolves to the admin CLI's exit code; its output goes straight to this terminal. With the gate
 * stopped the admin CLI records the studies itself, as it would in any installation.
 */
export async function importIntoStack(config: StackConfig, paths: readonly string[], options: { cwd?: string } = {}): Promise<number> {
  const layout = stackLayout(config.stateDir);
  if (!readStackFile(layout.stackFile)) throw new StackError(`no stack is running from ${layout.stateDir}; run \`npm run stack:up\` first`);
  const cwd = options.cwd ?? process.env.INIT_CWD ?? process.cwd();
  const child = spawn(process.execPath, [adminCli, '--config', layout.gate.configFile, 'study', 'import', ...paths.map((given) => path.resolve(cwd, given))], {
    cwd: repoRoot,
    // The gate's configuration file alone decides (no RS_* variable of this shell overrides it).
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', ...(process.env.RS_DEBUG !== undefined && { RS_DEBUG: process.env.RS_DEBUG }) },
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}
