import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { OrthancClient } from '../../orthanc/orthanc-client.ts';
import { listStudyConflicts, readSyncPosition, RegistrySync, requestReconcile } from '../../sync/registry-sync.ts';
import { CLI_NAME, UsageError, type CliContext } from '../context.ts';

const WAIT_FOR_GATE_MS = 30 * 60_000;

/** `registry reconcile`: read every study Orthanc holds into the registry (an existing PACS, or after lost history). */
export function registryCommands(program: Command, { io, withDatabase }: CliContext): void {
  const registry = program.command('registry').description("the registry's view of Orthanc");

  registry
    .command('conflicts')
    .description('StudyInstanceUIDs Orthanc holds under more than one patient: refused to everyone (STUDY_CONFLICT) until resolved in the PACS')
    .action(async (_options: unknown, command: Command) => {
      const conflicts = await withDatabase(command, (db) => listStudyConflicts(db));
      if (conflicts.length === 0) {
        io.stdout.write('no conflicting StudyInstanceUIDs\n');
        return;
      }
      for (const conflict of conflicts) {
        const holders = conflict.holders.map((holder) => `PatientID ${holder.patientId ?? '(none)'}${holder.issuerOfPatientId === null ? '' : ` (issuer ${holder.issuerOfPatientId})`} in Orthanc study ${holder.orthancId}`);
        io.stdout.write(`${conflict.studyInstanceUid}\tsince ${conflict.detectedAt}\t${holders.join('; ')}\n`);
      }
    });

  registry
    .command('reconcile')
    .description("read every study Orthanc holds into the registry and drop the studies it no longer has; uses the configuration's orthanc section. Safe to interrupt and run again")
    .action(async (_options: unknown, command: Command) => {
      const { config: configFile } = command.optsWithGlobals<{ config?: string }>();
      const config = loadConfig({ argv: configFile === undefined ? [] : ['--config', configFile], env: io.env });
      if (config.orthanc === undefined) throw new UsageError("the configuration has no orthanc section (url, username, password): the registry cannot reach Orthanc");
      const { url, username, password } = config.orthanc;
      await withDatabase(command, async (db) => {
        const sync = new RegistrySync({ db, source: new OrthancClient({ baseUrl: url, username, password }), owner: `${CLI_NAME}:${process.pid}` });
        const bar = new cliProgress.SingleBar({ stream: io.stderr, format: 'reconciling [{bar}] {value} studies', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        bar.start(0, 0);
        let position: number | undefined;
        try {
          position = await sync.reconcileExclusive(({ done }) => {
            bar.setTotal(done);
            bar.update(done);
          });
        } finally {
          bar.stop();
        }
        if (position !== undefined) {
          const count = await db.selectFrom('studies').select((eb) => eb.fn.countAll<number | string>().as('n')).where('orthanc_id', 'is not', null).executeTakeFirstOrThrow();
          io.stdout.write(`registry reconciled with Orthanc: ${Number(count.n)} studies, position ${position}\n`);
          return;
        }
        // A gate follows Orthanc: it reconciles at its next step; wait for it.
        const before = (await readSyncPosition(db))?.reconciledAt ?? null;
        await requestReconcile(db);
        io.stderr.write(`a gate follows Orthanc (${(await readSyncPosition(db))?.leaseOwner ?? 'unknown'}); it reconciles now\n`);
        const started = Date.now();
        for (;;) {
          const now = await readSyncPosition(db);
          if (now?.reconciledAt !== null && now?.reconciledAt !== before && now?.lastSeq !== null) {
            io.stdout.write(`registry reconciled with Orthanc by the gate, position ${now?.lastSeq}\n`);
            return;
          }
          if (Date.now() - started > WAIT_FOR_GATE_MS) throw new UsageError('the gate did not finish reconciling within 30 minutes; see its log');
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      });
    });
}
