import cliProgress from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { createDatabase } from '../db/database.ts';
import type { RsDatabase } from '../db/database.ts';
import { MigrationError, migrateToLatest, pendingMigrations } from '../db/migrations.ts';
import { importDicomFiles } from '../orthanc/import.ts';
import type { ImportSummary } from '../orthanc/import.ts';
import { OrthancError } from '../orthanc/orthanc-client.ts';
import { RegistryError } from '../registry-error.ts';
import { assignStudy } from '../studies/study-repository.ts';
import { ROLES } from '../users/roles.ts';
import type { Role } from '../users/roles.ts';
import { createUser, findUserByUsername, setUserDisabled } from '../users/user-repository.ts';
import { toDicomAuditMessage, toFhirAuditEvent } from '../audit/audit-export.ts';
import { verifyAuditLog } from '../audit/audit-log.ts';
import { RefreshTokenStore } from '../auth/refresh-tokens.ts';
import { PathError, collectFiles } from './dicom-files.ts';

export const CLI_NAME = 'reading-station-admin';

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdin: AsyncIterable<string | Buffer>;
  stdout: { write(text: string): unknown };
  /** Progress bars are drawn only when this is a terminal. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** A mistake in how the command was called; printed as one line. */
class UsageError extends Error {}

const MAX_FAILURES_LISTED = 20;

interface GlobalOptions {
  config?: string;
}

function integerBetween(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) throw new InvalidArgumentError(`expected an integer between ${min} and ${max}`);
    return parsed;
  };
}

/** What the commands report back besides their output. */
export interface CliOutcome {
  exitCode: number;
}

export function createProgram(io: CliIo, outcome: CliOutcome = { exitCode: 0 }): Command {
  const program = new Command(CLI_NAME)
    .description('Administer a Reading Station: database schema, users, studies')
    .option('--config <file>', 'JSON config file (default: RS_CONFIG_FILE; RS_* variables override it)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError(`(run ${CLI_NAME} --help for usage)`);

  const withDatabase = async <T>(command: Command, run: (db: RsDatabase) => Promise<T>, { requireCurrentSchema = true } = {}): Promise<T> => {
    const { config: configFile } = command.optsWithGlobals<GlobalOptions>();
    const config = loadConfig({ argv: configFile === undefined ? [] : ['--config', configFile], env: io.env });
    const db = createDatabase(config.database);
    try {
      if (requireCurrentSchema) {
        const pending = await pendingMigrations(db);
        if (pending.length > 0) throw new UsageError(`the database schema is not up to date (pending: ${pending.join(', ')}); run \`${CLI_NAME} migrate\` first`);
      }
      return await run(db);
    } finally {
      await db.destroy();
    }
  };

  program
    .command('migrate')
    .description('create or update the database schema')
    .action(async (_options: object, command: Command) => {
      const applied = await withDatabase(command, migrateToLatest, { requireCurrentSchema: false });
      io.stdout.write(applied.length === 0 ? 'database schema is up to date\n' : `applied ${applied.join(', ')}\n`);
    });

  const user = program.command('user').description('manage user accounts');
  user
    .command('add')
    .description('create a user; the password comes from stdin (--password-stdin) or RS_NEW_PASSWORD')
    .requiredOption('--username <name>', 'login name (stored in lower case)')
    .addOption(new Option('--role <role>', 'what the user is to the hospital').choices(ROLES).makeOptionMandatory())
    .requiredOption('--display-name <name>', 'name shown in the app')
    .option('--patient-id <id>', 'DICOM PatientID whose studies a patient account may see (role patient only)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (options: { username: string; role: Role; displayName: string; patientId?: string; passwordStdin?: boolean }, command: Command) => {
      const password = options.passwordStdin === true ? await readPassword(io.stdin) : io.env.RS_NEW_PASSWORD;
      if (password === undefined || password === '') {
        throw new UsageError('no password: pipe it to --password-stdin or set RS_NEW_PASSWORD');
      }
      const created = await withDatabase(command, (db) =>
        createUser(db, {
          username: options.username,
          displayName: options.displayName,
          role: options.role,
          password,
          ...(options.patientId !== undefined && { patientId: options.patientId }),
        }),
      );
      io.stdout.write(`created user ${created.username} (${created.role}, id ${created.id})\n`);
    });

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
    .description('set the ordering physician and/or the reading radiologist of a study')
    .argument('<studyUid>', 'StudyInstanceUID')
    .option('--ordering <username>', 'ordering physician (a doctor or radiologist)')
    .option('--radiologist <username>', 'reading radiologist')
    .action(async (studyUid: string, options: { ordering?: string; radiologist?: string }, command: Command) => {
      if (options.ordering === undefined && options.radiologist === undefined) {
        throw new UsageError('nothing to assign: give --ordering and/or --radiologist');
      }
      await withDatabase(command, (db) =>
        assignStudy(db, studyUid, {
          ...(options.ordering !== undefined && { orderingPhysician: options.ordering }),
          ...(options.radiologist !== undefined && { radiologist: options.radiologist }),
        }),
      );
      const parts = [
        ...(options.ordering === undefined ? [] : [`ordering physician ${options.ordering.trim().toLowerCase()}`]),
        ...(options.radiologist === undefined ? [] : [`radiologist ${options.radiologist.trim().toLowerCase()}`]),
      ];
      io.stdout.write(`study ${studyUid}: ${parts.join(', ')}\n`);
    });

  user
    .command('revoke-sessions')
    .description("end every session of a user at once (their access tokens stop working on the next request)")
    .argument('<username>', 'login name')
    .action(async (username: string, _options: unknown, command: Command) => {
      const count = await withDatabase(command, async (db) => {
        const account = await findUserByUsername(db, username);
        if (!account) throw new UsageError(`no user ${username.trim().toLowerCase()}`);
        return new RefreshTokenStore(db, { ttlSeconds: 60 }).revokeAllForUser(account.id);
      });
      io.stdout.write(`ended ${count} session${count === 1 ? '' : 's'} of ${username.trim().toLowerCase()}\n`);
    });

  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    user
      .command(name)
      .description(disabled ? 'stop a user from logging in or fetching images (immediately)' : 'let a disabled user log in again')
      .argument('<username>', 'login name')
      .action(async (username: string, _options: unknown, command: Command) => {
        await withDatabase(command, (db) => setUserDisabled(db, username, disabled));
        io.stdout.write(`user ${username.trim().toLowerCase()} ${disabled ? 'disabled' : 'enabled'}\n`);
      });
  }

  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('check every row of the audit log; name the first edited, deleted or reordered row')
    .action(async (_options: unknown, command: Command) => {
      const verification = await withDatabase(command, (db) => verifyAuditLog(db));
      if (verification.ok) {
        io.stdout.write(`audit log intact: ${verification.rows} rows; head hash ${verification.head ?? '(empty log)'}\n`);
      } else {
        io.stdout.write(`audit log BROKEN after ${verification.rows} intact rows: ${verification.message}\n`);
        outcome.exitCode = 1;
      }
    });

  audit
    .command('export')
    .description('write audit rows as FHIR R4 AuditEvent (NDJSON) or DICOM PS3.15 audit messages (XML)')
    .addOption(new Option('--format <format>', 'output format').choices(['fhir', 'dicom']).makeOptionMandatory())
    .option('--since <time>', 'only rows at or after this ISO 8601 time')
    .option('--source <id>', 'audit source id written into each event', 'reading-station')
    .action(async (options: { format: 'fhir' | 'dicom'; since?: string; source: string }, command: Command) => {
      if (options.since !== undefined && Number.isNaN(Date.parse(options.since))) throw new UsageError(`--since: not an ISO 8601 time: ${options.since}`);
      const since = options.since === undefined ? undefined : new Date(options.since).toISOString();
      await withDatabase(command, async (db) => {
        let lastId = 0;
        for (;;) {
          let query = db.selectFrom('audit_log').selectAll().where('id', '>', lastId).orderBy('id').limit(1000);
          if (since !== undefined) query = query.where('at', '>=', since);
          const rows = await query.execute();
          if (rows.length === 0) break;
          for (const row of rows) {
            io.stdout.write(
              options.format === 'fhir'
                ? `${JSON.stringify(toFhirAuditEvent(row, { id: options.source }))}\n`
                : `${toDicomAuditMessage(row, { id: options.source })}\n`,
            );
          }
          lastId = rows[rows.length - 1]!.id;
        }
      });
    });

  return program;
}

/** Runs the CLI with `argv` (arguments after the program name); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const outcome: CliOutcome = { exitCode: 0 };
  const program = createProgram(io, outcome);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return outcome.exitCode;
  } catch (error) {
    // Commander has already printed its own message (unknown option, --help, …).
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConfigError) {
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof UsageError || error instanceof RegistryError || error instanceof OrthancError || error instanceof PathError || error instanceof MigrationError) {
      io.stderr.write(`${CLI_NAME}: ${error.message}\n`);
      return 1;
    }
    const detail = io.env.RS_DEBUG ? String(error instanceof Error ? error.stack : error) : `${error instanceof Error ? error.message : String(error)} (set RS_DEBUG=1 for details)`;
    io.stderr.write(`${CLI_NAME}: unexpected error: ${detail}\n`);
    return 1;
  }
}

async function readPassword(stdin: AsyncIterable<string | Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  // `echo secret |` adds one newline; it is not part of the password.
  return text.replace(/\r?\n$/, '');
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
