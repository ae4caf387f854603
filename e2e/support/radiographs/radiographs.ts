/**
 * Two projection images made for the units checks (`make_radiographs.py`: a CR with only
 * ImagerPixelSpacing, a capture with no spacing), imported into the stack under test through the
 * admin CLI and readable by a patient account made for this run.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@reading-station/stack';
import type { StackUnderTest } from '../stack-under-test.ts';

const run = promisify(execFile);
/** Debian's interpreter, where python3-pydicom and python3-numpy are installed. */
const PYTHON = '/usr/bin/python3';
const ADMIN_CLI = path.join(repoRoot, 'proxy-server/src/cli.ts');

export interface ImportedRadiographs {
  studyInstanceUid: string;
  login: { username: string; password: string };
}

function admin(stack: StackUnderTest, args: readonly string[], env: Record<string, string> = {}, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [ADMIN_CLI, '--config', stack.stack.gate.configFile, ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`admin CLI ${args.slice(0, 2).join(' ')}: ${stderr || stdout || error.message}`)) : resolve(stdout)),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function importRadiographs(stack: StackUnderTest): Promise<ImportedRadiographs> {
  const suffix = randomBytes(4).toString('hex');
  const patientId = `RSUNITS${suffix}`;
  const directory = mkdtempSync(path.join(tmpdir(), 'rs-radiographs-'));
  const { stdout } = await run(PYTHON, [path.join(import.meta.dirname, 'make_radiographs.py'), directory, patientId], { timeout: 60_000 });
  const studyInstanceUid = stdout.trim();
  // Back once the gate has recorded the study (the admin CLI waits for the registry).
  const report = await admin(stack, ['study', 'import', directory]);
  if (!/^imported 2 of 2 files into Orthanc/m.test(report)) throw new Error(`the radiographs were not both imported: ${report}`);
  const login = { username: `units.${suffix}`, password: randomBytes(18).toString('base64url') };
  await admin(stack, ['user', 'add', '--username', login.username, '--role', 'patient', '--display-name', 'Units Reader', '--patient-id', patientId, '--password-stdin'], {}, `${login.password}\n`);
  return { studyInstanceUid, login };
}
