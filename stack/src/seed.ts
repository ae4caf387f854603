import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateDemoDataset, studyRelation, type DemoCohort } from '@reading-station/demo-data';
import { assignStudy, createDatabase, createUser, findUserByUsername, importIntoOrthanc, incompleteImport, migrateToLatest } from '@reading-station/proxy-server';
import { SingleBar } from 'cli-progress';
import type { StackConfig } from './config.ts';
import { StackError } from './errors.ts';
import type { StackLayout } from './layout.ts';
import type { DemoUserLogin } from './running-stack.ts';
import type { Report } from './stack.ts';

/**
 * Who may see what, derived from the cohort's own relations (ordering physician, reading
 * radiologist, the patient's own studies), independently of the gate's policy code, so tests that
 * compare the gate's answers with this file check the gate rather than restate it.
 */
export function expectedVisibleStudies(cohort: DemoCohort): Map<string, string[]> {
  const visible = new Map<string, string[]>();
  for (const user of cohort.users) {
    const studies = cohort.studies
      .filter((study) => user.role === 'admin' || studyRelation(user, study) !== null)
      .map((study) => study.studyInstanceUid);
    visible.set(user.username, studies);
  }
  return visible;
}

function progressBar(label: string): SingleBar {
  return new SingleBar({
    format: `[stack] ${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 5000,
    clearOnComplete: false,
  });
}

/**
 * First start of a stack: generate the HTJ2K demo studies (cached between stacks), import them into
 * Orthanc and wait until the gate has recorded them in the study registry, create a user of every
 * role with a password made for this stack, assign ordering physicians and radiologists, and write
 * `.stack/demo-users.json` (mode 600).
 * A stack that already has its demo users is left as it is.
 */
export async function seedDemo(options: {
  config: StackConfig;
  layout: StackLayout;
  orthanc: { baseUrl: string; username: string; password: string };
  report: Report;
}): Promise<void> {
  const { config, layout, report } = options;
  const db = createDatabase({ client: 'sqlite', filename: layout.gate.database });
  try {
    await migrateToLatest(db);
    if (existsSync(layout.demoUsersFile) && (await findUserByUsername(db, 'admin'))) {
      report('demo data already loaded');
      return;
    }

    report(`preparing the HTJ2K demo studies in ${config.demoCacheDir}`);
    const generation = progressBar('generating');
    let started = false;
    const manifest = await generateDemoDataset(config.demoCacheDir, {
      onProgress: ({ done, total }) => {
        if (!started) generation.start(total, 0);
        started = true;
        generation.update(done);
      },
    });
    if (started) generation.stop();
    const { cohort } = manifest;

    // The demo enters as any study does: uploaded to Orthanc, recorded by the gate that follows
    // it (once Orthanc calls each study stable), and only then given its users and assignments.
    const importing = progressBar('importing into Orthanc');
    const recording = progressBar('recorded by the gate');
    importing.start(manifest.instances.length, 0);
    let waiting = false;
    const result = await importIntoOrthanc({
      files: manifest.instances.map((instance) => path.join(config.demoCacheDir, instance.file)),
      orthanc: options.orthanc,
      db,
      concurrency: 4,
      timeoutMs: 120_000,
      onUpload: ({ done }) => importing.update(done),
      onRegistry: ({ settled, total }) => {
        if (!waiting) {
          importing.stop();
          recording.start(total, 0);
          waiting = true;
        }
        recording.update(settled);
      },
    });
    importing.stop();
    recording.stop();
    const problem = incompleteImport(result);
    if (problem !== undefined) throw new StackError(`the demo studies did not import: ${problem}`);
    const { upload, registry } = result;
    report(
      `imported ${upload.files} instances (${upload.stored} new, ${upload.alreadyStored} already stored) ` +
        `in ${registry.recorded.length} studies of ${new Set(registry.recorded.map((study) => study.patientId)).size} patients`,
    );

    const passwords = new Map<string, string>();
    for (const user of cohort.users) {
      const password = randomBytes(12).toString('base64url');
      passwords.set(user.username, password);
      const existing = await findUserByUsername(db, user.username);
      if (existing) {
        throw new StackError(`the registry already has a user ${user.username} but no demo-users.json; delete ${layout.stateDir} to start afresh`);
      }
      await createUser(db, {
        username: user.username,
        displayName: user.displayName,
        role: user.role,
        password,
        ...(user.patientId ? { patientId: user.patientId } : {}),
      });
    }
    for (const study of cohort.studies) {
      await assignStudy(db, study.studyInstanceUid, { orderingPhysician: study.orderingPhysician, radiologist: study.radiologist });
      if (study.status === 'reported') {
        await db.updateTable('studies').set({ status: 'final' }).where('study_instance_uid', '=', study.studyInstanceUid).execute();
      }
    }

    const visible = expectedVisibleStudies(cohort);
    const logins: DemoUserLogin[] = cohort.users.map((user) => ({
      username: user.username,
      password: passwords.get(user.username) as string,
      role: user.role,
      displayName: user.displayName,
      studies: visible.get(user.username) ?? [],
    }));
    writeFileSync(layout.demoUsersFile, `${JSON.stringify(logins, null, 2)}\n`, { mode: 0o600 });
    report(`demo users written to ${layout.demoUsersFile}`);
  } finally {
    await db.destroy();
  }
}
