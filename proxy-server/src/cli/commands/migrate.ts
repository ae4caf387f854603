import type { Command } from 'commander';
import { migrateToLatest } from '../../db/migrations.ts';
import type { CliContext } from '../context.ts';

/** `migrate`: create or update the database schema. */
export function migrateCommand(program: Command, { io, withDatabase }: CliContext): void {
  program
    .command('migrate')
    .description('create or update the database schema')
    .action(async (_options: object, command: Command) => {
      const applied = await withDatabase(command, migrateToLatest, { requireCurrentSchema: false });
      io.stdout.write(applied.length === 0 ? 'database schema is up to date\n' : `applied ${applied.join(', ')}\n`);
    });
}
