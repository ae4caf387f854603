import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { importIntoOrthanc, type RegistryOutcome, type UnrecordedStudy, type UploadSummary } from '../../orthanc/import.ts';
import { assignStudy } from '../../studies/study-repository.ts';
import { normalizeUsername } from '../../users/username.ts';
import { cliChangeAudit } from '../cli-audit.ts';
import { CLI_NAME, UsageError, type CliContext } from '../context.ts';
import { collectFiles } from '../dicom-files.ts';

/** `study import | assign`: bring studies into Orthanc (and so the registry), and say who ordered and reads them. */
export function studyCommands(program: Command, { io, outcome, withDatabase }: CliContext): void {
  const study = program.command('study').description('import and assign studies');

  study
    .command('import')
    .description(
      "send DICOM files (directories are searched recursively) to Orthanc and wait until the registry has recorded their studies; Orthanc's URL and credentials come from the configuration's orthanc section (the gate's)",
    )
    .argument('<paths...>', 'DICOM files or directories')
    .option('--concurrency <n>', 'uploads in flight at once', integerBetween(1, 32), 4)
    .option('--timeout <seconds>', 'how long to wait for the registry to record the studies', integerBetween(1, 86_400), 600)
    .action(async (paths: string[], options: { concurrency: number; timeout: number }, command: Command) => {
      const { config: configFile } = command.optsWithGlobals<{ config?: string }>();
      const config = loadConfig({ argv: configFile === undefined ? [] : ['--config', configFile], env: io.env });
      const orthanc = config.orthanc;
      if (orthanc === undefined) throw new UsageError("the configuration has no orthanc section (url, username, password): give the gate's configuration with --config");
      const files = await collectFiles(paths);
      if (files.length === 0) throw new UsageError('no files found to import');
      await withDatabase(command, async (db) => {
        const uploading = progressBar(io.stderr, 'importing [{bar}] {value}/{total} files | {rejected} rejected | ETA {eta_formatted}');
        const recording = progressBar(io.stderr, 'recording [{bar}] {value}/{total} studies (a gate records a study once Orthanc calls it stable)');
        uploading.start(files.length, 0, { rejected: 0 });
        let rejected = 0;
        let waiting = false;
        let result;
        try {
          result = await importIntoOrthanc({
            files,
            orthanc: { baseUrl: orthanc.url, username: orthanc.username, password: orthanc.password },
            db,
            concurrency: options.concurrency,
            timeoutMs: options.timeout * 1000,
            owner: `${CLI_NAME}:${process.pid}`,
            onUpload: (progress) => {
              if (progress.outcome === 'rejected') rejected += 1;
              uploading.update(progress.done, { rejected });
            },
            onRegistry: ({ settled, total }) => {
              if (!waiting) {
                uploading.stop();
                recording.start(total, 0);
                waiting = true;
              }
              recording.update(settled);
            },
          });
        } finally {
          uploading.stop();
          recording.stop();
        }
        const { upload, registry } = result;
        io.stdout.write(formatSummary(upload, registry));
        if (registry.pending.length > 0) {
          const count = registry.pending.length;
          throw new UsageError(
            `${count} stud${count === 1 ? 'y is' : 'ies are'} in Orthanc but not in the registry after ${options.timeout} s: the gate that follows Orthanc has not recorded ${count === 1 ? 'it' : 'them'}; see its log (registry sync), then run \`${CLI_NAME} registry reconcile\``,
          );
        }
        // Nothing usable came of it: every file refused, or no study the registry can list.
        if (registry.recorded.length === 0) outcome.exitCode = 1;
      });
    });

  study
    .command('assign')
    .description('set the ordering physician and/or the reading radiologist of a study (audited)')
    .argument('<studyUid>', 'StudyInstanceUID')
    .option('--ordering <username>', 'ordering physician (a doctor or radiologist)', normalizeUsername)
    .option('--radiologist <username>', 'reading radiologist', normalizeUsername)
    .action(async (studyUid: string, options: { ordering?: string; radiologist?: string }, command: Command) => {
      if (options.ordering === undefined && options.radiologist === undefined) {
        throw new UsageError('nothing to assign: give --ordering and/or --radiologist');
      }
      await withDatabase(command, (db, config) =>
        assignStudy(
          db,
          studyUid,
          {
            ...(options.ordering !== undefined && { orderingPhysician: options.ordering }),
            ...(options.radiologist !== undefined && { radiologist: options.radiologist }),
          },
          { audit: cliChangeAudit(config) },
        ),
      );
      const parts = [
        ...(options.ordering === undefined ? [] : [`ordering physician ${options.ordering}`]),
        ...(options.radiologist === undefined ? [] : [`radiologist ${options.radiologist}`]),
      ];
      io.stdout.write(`study ${studyUid}: ${parts.join(', ')}\n`);
    });
}

function integerBetween(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) throw new InvalidArgumentError(`expected an integer between ${min} and ${max}`);
    return parsed;
  };
}

/** A progress bar on `stream`, drawn on a terminal only. */
function progressBar(stream: NodeJS.WritableStream, format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar({ stream, format, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

function formatSummary(upload: UploadSummary, registry: RegistryOutcome): string {
  const accepted = upload.stored + upload.alreadyStored;
  const patients = new Set(registry.recorded.map((study) => study.patientId));
  const lines = [
    `imported ${accepted} of ${plural(upload.files, 'file', 'files')} into Orthanc: ${upload.stored} new, ${upload.alreadyStored} already stored; ${upload.rejected.length} rejected`,
    `registry: ${plural(registry.recorded.length, 'study', 'studies')} of ${plural(patients.size, 'patient', 'patients')} recorded ${
      registry.recordedHere ? 'by this command (no gate follows Orthanc: start the gate to keep the registry following it)' : 'by the gate'
    }${registry.notRecorded.length > 0 ? `; ${registry.notRecorded.length} not recorded` : ''}`,
  ];
  // Every refusal, with Orthanc's own reason: the operator decides what to do with each file.
  if (upload.rejected.length > 0) {
    lines.push('rejected:');
    for (const failure of upload.rejected) lines.push(`  ${failure.file}: ${failure.reason}`);
  }
  const unrecorded = (heading: string, studies: readonly UnrecordedStudy[]) => {
    if (studies.length === 0) return;
    lines.push(heading);
    for (const study of studies) {
      lines.push(`  study ${study.studyInstanceUid ?? '(unknown)'} (Orthanc ${study.orthancId}, ${plural(study.files.length, 'file', 'files')}): ${study.reason}`);
      for (const file of study.files) lines.push(`    ${file}`);
    }
  };
  unrecorded('in Orthanc, not recorded in the registry:', registry.notRecorded);
  unrecorded('in Orthanc, not recorded yet:', registry.pending);
  return `${lines.join('\n')}\n`;
}
