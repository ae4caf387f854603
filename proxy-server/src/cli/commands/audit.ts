import { Option, type Command } from 'commander';
import { toDicomAuditMessage, toFhirAuditEvent } from '../../audit/audit-export.ts';
import { readAuditAnchors } from '../../audit/audit-anchor.ts';
import { loadAuditKeys } from '../../audit/audit-keys.ts';
import { verifyAuditLog } from '../../audit/audit-log.ts';
import { auditLogRows } from '../../audit/audit-query.ts';
import { UsageError, type CliContext } from '../context.ts';

/** `audit verify | export`: check the hash chain; write rows out as FHIR or DICOM audit messages. */
export function auditCommands(program: Command, { io, outcome, withDatabase }: CliContext): void {
  const audit = program.command('audit').description('the hash-chained audit log');

  audit
    .command('verify')
    .description('check every row of the audit log (HMACs under audit.keyFile, the heads in audit.anchorFile); name the first edited, deleted or reordered row')
    .action(async (_options: unknown, command: Command) => {
      const verification = await withDatabase(command, (db, config) =>
        verifyAuditLog(db, {
          keys: loadAuditKeys(config.audit.keyFile),
          anchors: config.audit.anchorFile === undefined ? [] : readAuditAnchors(config.audit.anchorFile),
        }),
      );
      if (verification.ok) {
        io.stdout.write(`audit log intact: ${verification.rows} rows; head hash ${verification.head ?? '(empty log)'}; ${verification.anchors} anchored heads\n`);
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
      const source = { id: options.source };
      await withDatabase(command, async (db) => {
        for await (const row of auditLogRows(db, { since })) {
          io.stdout.write(options.format === 'fhir' ? `${JSON.stringify(toFhirAuditEvent(row, source))}\n` : `${toDicomAuditMessage(row, source)}\n`);
        }
      });
    });
}
