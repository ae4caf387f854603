import type { Command } from 'commander';
import { listPhysicianDirectory, listUnmappedPhysicians, mapPhysician } from '../../physicians/physician-directory.ts';
import { normalizeUsername } from '../../users/username.ts';
import { cliChangeAudit } from '../cli-audit.ts';
import type { CliContext } from '../context.ts';

/** `physician map | unmapped | list`: the directory from DICOM physician names to users. */
export function physicianCommands(program: Command, { io, withDatabase }: CliContext): void {
  const physician = program.command('physician').description('the physician directory: ReferringPhysicianName → ordering physician');

  physician
    .command('map')
    .description('map a DICOM physician name (as in ReferringPhysicianName, e.g. "HOUSE^GREGORY") to a doctor or radiologist; they become the ordering physician of its studies, recorded and to come')
    .argument('<dicomName>', 'DICOM person name, FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX')
    .argument('<username>', 'login name', normalizeUsername)
    .action(async (dicomName: string, username: string, _options: unknown, command: Command) => {
      const mapping = await withDatabase(command, (db, config) => mapPhysician(db, dicomName, username, cliChangeAudit(config)));
      io.stdout.write(`${mapping.dicomName} is ${mapping.username} (${mapping.displayName}): ordering physician of ${mapping.studies} ${mapping.studies === 1 ? 'study' : 'studies'}\n`);
    });

  physician
    .command('unmapped')
    .description('ReferringPhysicianNames of recorded studies that no user is mapped to, with their study counts')
    .action(async (_options: unknown, command: Command) => {
      const unmapped = await withDatabase(command, (db) => listUnmappedPhysicians(db));
      if (unmapped.length === 0) {
        io.stdout.write('every physician name is mapped\n');
        return;
      }
      for (const entry of unmapped) io.stdout.write(`${entry.dicomName}\t${entry.studies} ${entry.studies === 1 ? 'study' : 'studies'}\n`);
    });

  physician
    .command('list')
    .description('the directory: each DICOM physician name and the user it is')
    .action(async (_options: unknown, command: Command) => {
      const directory = await withDatabase(command, (db) => listPhysicianDirectory(db));
      if (directory.length === 0) {
        io.stdout.write('the physician directory is empty\n');
        return;
      }
      for (const entry of directory) io.stdout.write(`${entry.dicomName}\t${entry.username}\t${entry.studies} ${entry.studies === 1 ? 'study' : 'studies'}\n`);
    });
}
