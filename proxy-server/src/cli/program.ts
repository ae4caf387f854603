import { Command, CommanderError } from 'commander';
import { AuditUnavailableError } from '../audit/audit-events.ts';
import { ConfigError } from '../config.ts';
import { MigrationError } from '../db/migrations.ts';
import { OrthancError } from '../orthanc/orthanc-client.ts';
import { RegistryError } from '../registry-error.ts';
import { auditCommands } from './commands/audit.ts';
import { registryCommands } from './commands/registry.ts';
import { migrateCommand } from './commands/migrate.ts';
import { physicianCommands } from './commands/physicians.ts';
import { studyCommands } from './commands/studies.ts';
import { userCommands } from './commands/users.ts';
import { CLI_NAME, UsageError, createCliContext, type CliIo, type CliOutcome } from './context.ts';
import { PathError } from './dicom-files.ts';

export { CLI_NAME, type CliIo, type CliOutcome } from './context.ts';

/** The command groups, in the order `--help` lists them; each lives in commands/. */
const COMMAND_GROUPS = [migrateCommand, userCommands, studyCommands, physicianCommands, auditCommands, registryCommands];

export function createProgram(io: CliIo, outcome: CliOutcome = { exitCode: 0 }): Command {
  const program = new Command(CLI_NAME)
    .description('Administer a Reading Station: database schema, users, studies')
    .option('--config <file>', 'JSON config file (default: RS_CONFIG_FILE; RS_* variables override it)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError(`(run ${CLI_NAME} --help for usage)`);
  const context = createCliContext(io, outcome);
  for (const register of COMMAND_GROUPS) register(program, context);
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
    if (error instanceof UsageError || error instanceof AuditUnavailableError || error instanceof RegistryError || error instanceof OrthancError || error instanceof PathError || error instanceof MigrationError) {
      io.stderr.write(`${CLI_NAME}: ${error.message}\n`);
      return 1;
    }
    const detail = io.env.RS_DEBUG ? String(error instanceof Error ? error.stack : error) : `${error instanceof Error ? error.message : String(error)} (set RS_DEBUG=1 for details)`;
    io.stderr.write(`${CLI_NAME}: unexpected error: ${detail}\n`);
    return 1;
  }
}
