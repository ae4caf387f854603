import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDatabase, importIntoOrthanc, incompleteImport } from '@reading-station/proxy-server';
import type { BenchStack } from '../stack/bench-stack.ts';
import { largeCt, largeCtInstance } from './large-ct.ts';

/**
 * Puts the 8 MiB uncompressed instance into the stack's Orthanc and study registry (the import
 * the admin CLI uses), so the gate authorises it like any other study: the admin sees all studies.
 * Idempotent: Orthanc answers "already stored" and the registry row is updated in place.
 */
export async function ensureLargeCt(stack: BenchStack, dataDir: string): Promise<typeof largeCt> {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'large-ct-2048.dcm');
  if (!existsSync(file)) writeFileSync(file, largeCtInstance());
  const db = createDatabase({ client: 'sqlite', filename: stack.file.gate.database });
  try {
    const result = await importIntoOrthanc({
      files: [file],
      orthanc: { baseUrl: stack.orthanc.baseUrl, username: stack.orthanc.username, password: stack.orthanc.password },
      db,
      // The stack's gate records the study once Orthanc calls it stable.
      timeoutMs: 120_000,
    });
    const problem = incompleteImport(result);
    if (problem !== undefined) throw new Error(`could not import: ${problem}`);
  } finally {
    await db.destroy();
  }
  return largeCt;
}
