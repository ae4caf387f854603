import type { Command } from 'commander';
import type { Config } from '../config-schema.ts';
import { loadConfig } from '../config.ts';
import { createDatabase, type RsDatabase } from '../db/database.ts';
import { pendingMigrations } from '../db/migrations.ts';

export const CLI_NAME = 'reading-station-admin';

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdin: AsyncIterable<string | Buffer>;
  stdout: { write(text: string): unknown };
  /** Progress bars are drawn only when this is a terminal. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** What the commands report back besides their output. */
export interface CliOutcome {
  exitCode: number;
}

/** A mistake in how the command was called; printed as one line. */
export class UsageError extends Error {}

/** What every command module gets: the process's streams, the exit code, and the database. */
export interface CliContext {
  io: CliIo;
  outcome: CliOutcome;
  /**
   * Opens the database the configuration names (`--config`, RS_*), runs `run` with it and the
   * configuration, and closes it.
   * Refuses a database with pending migrations unless `requireCurrentSchema` is false.
   */
  withDatabase<T>(command: Command, run: (db: RsDatabase, config: Config) => Promise<T>, options?: { requireCurrentSchema?: boolean }): Promise<T>;
}

interface GlobalOptions {
  config?: string;
}

export function createCliContext(io: CliIo, outcome: CliOutcome): CliContext {
  return {
    io,
    outcome,
    async withDatabase(command, run, { requireCurrentSchema = true } = {}) {
      const { config: configFile } = command.optsWithGlobals<GlobalOptions>();
      const config = loadConfig({ argv: configFile === undefined ? [] : ['--config', configFile], env: io.env });
      const db = createDatabase(config.database);
      try {
        if (requireCurrentSchema) {
          const pending = await pendingMigrations(db);
          if (pending.length > 0) throw new UsageError(`the database schema is not up to date (pending: ${pending.join(', ')}); run \`${CLI_NAME} migrate\` first`);
        }
        return await run(db, config);
      } finally {
        await db.destroy();
      }
    },
  };
}
