/**
 * pydicom's test corpus in the stack under test: prepared by `prepare_corpus.py` (fresh UIDs, one
 * PatientID, reference values from pydicom's own decoding), imported through the admin CLI, and
 * readable by a patient account made for this run (so that no demo user's worklist changes).
 *
 * The import goes through `importFiles` only, the one place to switch to another import command.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { encodeHtj2k } from '@reading-station/demo-data';
import { repoRoot } from '@reading-station/stack';
import type { StackUnderTest } from '../stack-under-test.ts';

const run = promisify(execFile);

/** Debian's interpreter, where python3-pydicom (and python3-numpy, python3-gdcm) are installed. */
const PYTHON = '/usr/bin/python3';
const ADMIN_CLI = path.join(repoRoot, 'proxy-server/src/cli.ts');

export interface WindowLevel {
  windowWidth: number;
  windowCenter: number;
}

export interface CorpusEntry {
  file: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntax: string;
  photometric: string;
  bitsAllocated: number;
  frames: number;
  hasPixelData: boolean;
  /**
   * Stored values at `points` of some frames (1-based frame number → values), from pydicom: one a
   * point for greyscale, [R, G, B] for RGB.
   */
  reference: { points: Array<{ x: number; y: number }>; frames: Record<string, Array<number | number[]>>; tolerance?: number } | null;
  /** Why there is no reference, if there is none. */
  note: string | null;
  /**
   * Greyscale images: the header's first window (null if none), the first frame's lowest to highest
   * modality value (Auto; where pydicom decodes it) and the pixel format's full range, as DICOM
   * linear windows computed by pydicom from the file.
   */
  windows: { header: WindowLevel | null; fullRange: WindowLevel; auto?: WindowLevel } | null;
  path: string;
}

export interface ImportedCorpus {
  entries: CorpusEntry[];
  /** Files the import refused, with its reason (the admin CLI's report). */
  refused: Array<{ file: string; reason: string }>;
  login: { username: string; password: string; studies: string[] };
}

async function admin(stack: StackUnderTest, args: readonly string[], env: Record<string, string> = {}, input?: string): Promise<{ stdout: string; code: number }> {
  const child = execFile(process.execPath, [ADMIN_CLI, '--config', stack.stack.gate.configFile, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (input !== undefined) child.stdin?.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => resolve(exitCode ?? -1));
  });
  if (code !== 0 && code !== 1) throw new Error(`admin CLI ${args.slice(0, 2).join(' ')} exited with ${code}: ${stderr || stdout}`);
  return { stdout: stdout + stderr, code };
}

/**
 * Sends files to Orthanc (the gate's configuration names it) and returns once the registry has
 * their studies; returns the files refused, with the reason.
 */
async function importFiles(stack: StackUnderTest, directory: string): Promise<Array<{ file: string; reason: string }>> {
  const { stdout } = await admin(stack, ['study', 'import', directory]);
  if (!/^imported \d+ of \d+ files? into Orthanc/m.test(stdout)) throw new Error(`import did not report: ${stdout}`);
  return [...stdout.matchAll(/^\s+(\/\S+\.dcm): (.+)$/gm)].map((m) => ({ file: m[1] ?? '', reason: m[2] ?? '' }));
}

/**
 * A signed 16-bit image of 128 × 128 with values from -1024 to 3071 and its lossless HTJ2K
 * codestream (OpenJPH, RPCL), for prepare_corpus.py to wrap as an object of
 * 1.2.840.10008.1.2.4.203: `htj2k.j2c`, the pixels as `htj2k.raw` (little endian) and their size.
 */
function writeHtj2kSource(directory: string): void {
  const [rows, columns] = [128, 128];
  const pixels = new Int16Array(rows * columns);
  for (let y = 0; y < rows; y += 1) for (let x = 0; x < columns; x += 1) pixels[y * columns + x] = ((x * 37 + y * 53 + x * y) % 4096) - 1024;
  writeFileSync(path.join(directory, 'htj2k.j2c'), encodeHtj2k({ width: columns, height: rows, pixels }));
  writeFileSync(path.join(directory, 'htj2k.raw'), new Uint8Array(pixels.buffer));
  writeFileSync(path.join(directory, 'htj2k.json'), JSON.stringify({ rows, columns }));
}

export async function importCorpus(stack: StackUnderTest): Promise<ImportedCorpus> {
  const suffix = randomBytes(4).toString('hex');
  const patientId = `RSCORPUS${suffix}`;
  const directory = mkdtempSync(path.join(tmpdir(), 'rs-corpus-'));
  const htj2kDirectory = mkdtempSync(path.join(tmpdir(), 'rs-corpus-htj2k-'));
  writeHtj2kSource(htj2kDirectory);
  const { stdout } = await run(PYTHON, [path.join(import.meta.dirname, 'prepare_corpus.py'), directory, patientId, htj2kDirectory], { maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
  const prepared = JSON.parse(stdout) as CorpusEntry[];
  const refused = await importFiles(stack, directory);
  const refusedPaths = new Set(refused.map((r) => r.file));
  const entries = prepared.filter((e) => !refusedPaths.has(e.path));
  const username = `corpus.${suffix}`;
  const password = randomBytes(18).toString('base64url');
  await admin(stack, ['user', 'add', '--username', username, '--role', 'patient', '--display-name', 'Corpus Reader', '--patient-id', patientId, '--password-stdin'], {}, `${password}\n`);
  return {
    entries,
    refused: refused.map((r) => ({ file: prepared.find((e) => e.path === r.file)?.file ?? r.file, reason: r.reason })),
    login: { username, password, studies: [...new Set(entries.map((e) => e.studyInstanceUid))] },
  };
}
