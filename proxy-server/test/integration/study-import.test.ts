import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_PYTHON, pydicomDataDir, repoRoot, stackCli } from '@reading-station/stack';
import { createDatabase, type RsDatabase } from '../../src/db/database.ts';
import { runningStack, type RunningStack } from '../support/gate-client.ts';

// `reading-station-admin study import` is just another way into Orthanc: pydicom's whole
// test_files tree (real files made by others: odd transfer syntaxes, bare data sets, DICOMDIRs,
// README and JSON files), each DICOM file with fresh UIDs for this run, goes to the test stack's
// Orthanc through the real CLI. Orthanc's own answers to the same files are the reference: what
// it accepts is in the registry afterwards (recorded by the gate), what it refuses is listed with a
// reason, and nothing a library prints reaches the terminal. The studies are deleted through
// Orthanc afterwards, so the other suites see only the demo cohort.

const run = promisify(execFile);
const adminCli = path.resolve(import.meta.dirname, '../../src/cli.ts');
const prepare = path.resolve(import.meta.dirname, '../support/fresh_uid_tree.py');

let stack: RunningStack;
let db: RsDatabase;
let workDir: string;
let tree: string;
/** Orthanc studies this suite added, to delete afterwards. */
const added = new Set<string>();

interface Copy {
  path: string;
  rewritten: boolean;
  studyInstanceUid: string | null;
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a CLI as a person would, with stdout and stderr kept apart. */
function runCli(args: readonly string[], env: Record<string, string | undefined> = process.env): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function orthanc(pathname: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.orthanc.url}${pathname}`, { ...init, headers: { authorization: stack.orthancAuthorization, ...init.headers } });
}

/** What Orthanc answers to POST /instances of this file: its study, or its refusal's status. */
async function orthancAnswer(file: string): Promise<{ study: string } | { status: number }> {
  const response = await orthanc('/instances', { method: 'POST', body: readFileSync(file), headers: { 'content-type': 'application/dicom' } });
  if (!response.ok) {
    await response.arrayBuffer();
    return { status: response.status };
  }
  return { study: ((await response.json()) as { ParentStudy: string }).ParentStudy };
}

async function registryRows(orthancIds: readonly string[]) {
  if (orthancIds.length === 0) return [];
  return db
    .selectFrom('studies')
    .innerJoin('patients', 'patients.id', 'studies.patient_id')
    .select(['studies.orthanc_id', 'studies.study_instance_uid', 'studies.number_of_instances', 'patients.patient_id'])
    .where('studies.orthanc_id', 'in', [...orthancIds])
    .execute();
}

/** The lines under `heading` in the CLI's report, up to the next heading. */
function section(report: string, heading: string): string[] {
  const lines = report.split('\n');
  const start = lines.indexOf(heading);
  if (start === -1) return [];
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => !line.startsWith(' '));
  return end === -1 ? rest : rest.slice(0, end);
}

// What a library (dcmjs, Node's own warnings, a logger) would print if it spoke during an import.
const LIBRARY_NOISE = /invalid vr|dcmjs|warn|deprecat|\(node:\d+\)|\btrace\b/i;

beforeAll(async () => {
  stack = runningStack();
  db = createDatabase({ client: 'sqlite', filename: stack.gate.database });
  workDir = mkdtempSync(path.join(tmpdir(), 'rs-study-import-'));
  tree = path.join(workDir, 'test_files');
}, 120_000);

afterAll(async () => {
  for (const id of added) await orthanc(`/studies/${id}`, { method: 'DELETE' });
  // Only the demo cohort again: the gate drops the deleted studies from the registry.
  const ids = [...added];
  const started = Date.now();
  while ((await registryRows(ids)).length > 0) {
    if (Date.now() - started > 60_000) throw new Error('the registry still holds studies this suite deleted in Orthanc');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await db?.destroy();
  rmSync(workDir, { recursive: true, force: true });
}, 180_000);

describe('reading-station-admin study import', () => {
  it("imports every file of pydicom's test_files that Orthanc accepts, lists the rest with Orthanc's reason, and prints no library warnings", async () => {
    const source = path.join(await pydicomDataDir(), 'test_files');
    const { stdout: prepared } = await run(DEBIAN_PYTHON, [prepare, source, tree, randomBytes(3).toString('hex')], { maxBuffer: 16 * 1024 * 1024 });
    const copies = JSON.parse(prepared) as Copy[];
    expect(copies.length).toBeGreaterThan(100);

    const result = await runCli([adminCli, '--config', stack.gate.configFile, 'study', 'import', tree], { PATH: process.env.PATH, HOME: process.env.HOME });
    const report = result.stdout;
    // No library spoke: stderr holds nothing at all (no terminal, so no progress bar either).
    expect(result.stderr).toBe('');
    expect(report).not.toMatch(LIBRARY_NOISE);
    expect(result.code, report).toBe(0);

    // Orthanc's own answers to the same files are the reference (accepted ones answer "already stored").
    const answers = new Map<string, { study: string } | { status: number }>();
    for (const copy of copies) answers.set(copy.path, await orthancAnswer(copy.path));
    const acceptedStudies = new Map<string, string[]>();
    for (const [file, answer] of answers) {
      if ('study' in answer) acceptedStudies.set(answer.study, [...(acceptedStudies.get(answer.study) ?? []), file]);
    }
    for (const id of acceptedStudies.keys()) added.add(id);
    const refusedByOrthanc = [...answers].filter(([, answer]) => 'status' in answer).map(([file]) => file);
    // The tree is a real mix: most files go in, the README, JSON, gzip and DICOMDIR files do not.
    expect(acceptedStudies.size).toBeGreaterThan(50);
    expect(refusedByOrthanc.length).toBeGreaterThan(5);

    const accepted = copies.length - refusedByOrthanc.length;
    expect(report).toMatch(new RegExp(`^imported ${accepted} of ${copies.length} files into Orthanc: \\d+ new, \\d+ already stored; ${refusedByOrthanc.length} rejected$`, 'm'));

    // Every refused file listed once, with Orthanc's reason (its status, and what it means).
    const listed = section(report, 'rejected:').map((line) => /^ {2}(\/.+?): (Orthanc answered HTTP (\d+) .+)$/.exec(line));
    expect(listed.every((match) => match !== null), section(report, 'rejected:').join('\n')).toBe(true);
    expect(listed.map((match) => match![1]).sort()).toEqual([...refusedByOrthanc].sort());
    for (const match of listed) {
      const answer = answers.get(match![1]!) as { status: number };
      expect(Number(match![3]), match![0]).toBe(answer.status);
    }

    // Every study Orthanc took is in the registry with all its instances, or listed with why not.
    const notRecorded = section(report, 'in Orthanc, not recorded in the registry:').filter((line) => line.startsWith('  study '));
    const unrecordedIds = new Set(notRecorded.map((line) => /\(Orthanc ([\w-]+), /.exec(line)?.[1]));
    const rows = new Map((await registryRows([...acceptedStudies.keys()])).map((row) => [row.orthanc_id, row]));
    for (const [id, files] of acceptedStudies) {
      const study = (await (await orthanc(`/studies/${id}?requested-tags=NumberOfStudyRelatedInstances`)).json()) as {
        MainDicomTags: { StudyInstanceUID: string };
        PatientMainDicomTags: { PatientID?: string };
        RequestedTags: { NumberOfStudyRelatedInstances: string };
      };
      if (study.PatientMainDicomTags.PatientID) {
        expect(rows.get(id), `${files.join(', ')} (Orthanc study ${id})`).toMatchObject({
          study_instance_uid: study.MainDicomTags.StudyInstanceUID,
          patient_id: study.PatientMainDicomTags.PatientID,
          number_of_instances: Number(study.RequestedTags.NumberOfStudyRelatedInstances),
        });
      } else {
        // The registry files studies under their patient: one without PatientID is said, not hidden.
        expect(rows.has(id)).toBe(false);
        expect(unrecordedIds.has(id), `${files.join(', ')} (Orthanc study ${id})`).toBe(true);
      }
    }
    expect(notRecorded.every((line) => line.endsWith(': no PatientID: the registry files every study under its patient')), notRecorded.join('\n')).toBe(true);
    const recordedCount = [...acceptedStudies.keys()].filter((id) => rows.has(id)).length;
    expect(report).toMatch(new RegExp(`^registry: ${recordedCount} studies of \\d+ patients recorded by the gate; ${notRecorded.length} not recorded$`, 'm'));
  }, 600_000);

  it('`npm run stack -- import` does the same against the running stack: back once the gate has recorded the study', async () => {
    // One of pydicom's files with UIDs of its own, made as before.
    const original = path.join(workDir, 'single-source');
    mkdirSync(original);
    copyFileSync(path.join(await pydicomDataDir(), 'test_files', 'CT_small.dcm'), path.join(original, 'CT_small.dcm'));
    const single = path.join(workDir, 'single');
    await run(DEBIAN_PYTHON, [prepare, original, single, randomBytes(3).toString('hex')]);
    const copy = path.join(single, 'CT_small.dcm');
    const result = await runCli([stackCli, 'import', copy]);
    expect(result.stderr).not.toMatch(LIBRARY_NOISE);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^imported 1 of 1 file into Orthanc: 1 new, 0 already stored; 0 rejected\nregistry: 1 study of 1 patient recorded by the gate\n$/);
    const answer = await orthancAnswer(copy);
    expect('study' in answer).toBe(true);
    const id = (answer as { study: string }).study;
    added.add(id);
    expect(await registryRows([id])).toHaveLength(1);
  }, 300_000);
});
