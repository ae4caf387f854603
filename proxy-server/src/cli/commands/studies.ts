import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { importDicomFiles, type ImportSummary } from '../../orthanc/import.ts';
import { assignStudy } from '../../studies/study-repository.ts';
import { normalizeUsername } from '../../users/username.ts';
import { cliChangeAudit } from '../cli-audit.ts';
import { UsageError, type CliContext } from '../context.ts';
import { collectFiles } from '../dicom-files.ts';

const MAX_FAILURES_LISTED = 20;

/** `study import | assign`: bring studies into Orthanc and the registry, and say who ordered and reads them. */
export function studyCommands(program: Command, { io, outcome, withDatabase }: CliContext): void {
  const study = program.command('study').description('import and assign studies');

  study
    .command('import')
    .description('send DICOM files (directories are searched recursively) to Orthanc and record their studies; the Orthanc password comes from RS_ORTHANC_PASSWORD')
    .argument('<paths...>', 'DICOM files or directories')
    .requiredOption('--orthanc-url <url>', "Orthanc's REST root, e.g. http://127.0.0.1:8042")
    .requiredOption('--orthanc-user <user>', 'Orthanc user allowed to store instances')
    .option('--concurrency <n>', 'uploads in flight at once', integerBetween(1, 32), 4)
    .action(async (paths: string[], options: { orthancUrl: string; orthancUser: string; concurrency: number }, command: Command) => {
      const password = io.env.RS_ORTHANC_PASSWORD;
      if (password === undefined) throw new UsageError("set RS_ORTHANC_PASSWORD to the Orthanc user's password");
      const files = await collectFiles(paths);
      if (files.length === 0) throw new UsageError('no files found to import');
      const summary = await withDatabase(command, async (db) => {
        const bar = new cliProgress.SingleBar(
          { stream: io.stderr, format: 'importing [{bar}] {value}/{total} files | {failed} failed | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(files.length, 0, { failed: 0 });
        let failedSoFar = 0;
        try {
          return await importDicomFiles({
            files,
            db,
            orthanc: { baseUrl: options.orthancUrl, username: options.orthancUser, password },
            concurrency: options.concurrency,
            onProgress: (progress) => {
              if (progress.outcome === 'failed') failedSoFar += 1;
              bar.update(progress.done, { failed: failedSoFar });
            },
          });
        } finally {
          bar.stop();
        }
      });
      io.stdout.write(formatSummary(summary));
      if (summary.failed.length > 0) outcome.exitCode = 1;
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

function formatSummary(summary: ImportSummary): string {
  const lines = [
    `imported ${summary.files} file${summary.files === 1 ? '' : 's'}: ${summary.instancesStored} stored, ${summary.alreadyStored} already in Orthanc, ${summary.failed.length} failed`,
    `registry: ${summary.studies} stud${summary.studies === 1 ? 'y' : 'ies'}, ${summary.patients} patient${summary.patients === 1 ? '' : 's'}`,
  ];
  if (summary.failed.length > 0) {
    lines.push('failed:');
    for (const failure of summary.failed.slice(0, MAX_FAILURES_LISTED)) lines.push(`  ${failure.file}: ${failure.reason}`);
    if (summary.failed.length > MAX_FAILURES_LISTED) lines.push(`  … and ${summary.failed.length - MAX_FAILURES_LISTED} more`);
  }
  return `${lines.join('\n')}\n`;
}
