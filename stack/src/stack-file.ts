import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { StackError } from './errors.ts';

const ManagedProcessSchema = z.object({ pid: z.number().int().positive(), marker: z.string(), log: z.string() });

/** `.stack/stack.json`: what a started stack is and where its parts are. Others read it. */
export const StackFileSchema = z.object({
  version: z.literal(1),
  startedAt: z.string(),
  baseUrl: z.string(),
  /** The same server over HTTPS, when tls is enabled, and the certificate it presents (PEM). */
  httpsUrl: z.string().optional(),
  tlsCertificateFile: z.string().optional(),
  opsUrl: z.string(),
  stateDir: z.string(),
  ports: z.object({ http: z.number(), gate: z.number(), orthanc: z.number(), ops: z.number() }),
  orthanc: z.object({ url: z.string(), version: z.string(), configFile: z.string() }),
  /** Orthanc's DICOM server: where modalities send, the AE title they call, and who may. */
  dicom: z.object({
    port: z.number(),
    aet: z.string(),
    modalities: z.array(z.object({ aet: z.string(), host: z.string() })),
  }),
  gate: z.object({ url: z.string(), configFile: z.string(), database: z.string(), opsSocket: z.string().optional() }),
  nginx: z.object({
    configFile: z.string(),
    /** nginx's DICOMweb cache: its directory and sizes (absent when the cache is off). */
    cache: z.object({ dir: z.string(), maxSize: z.string(), keysZone: z.string(), inactive: z.string(), valid: z.string(), revisionPollMs: z.number() }).optional(),
  }),
  processes: z.object({
    orthanc: ManagedProcessSchema.optional(),
    gate: ManagedProcessSchema.optional(),
    nginx: ManagedProcessSchema.optional(),
  }),
  logs: z.record(z.string(), z.string()),
  demoUsersFile: z.string().nullable(),
});

export type StackFile = z.infer<typeof StackFileSchema>;

export function readStackFile(file: string): StackFile | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StackError(`${file} is not valid JSON (${(error as Error).message}); stop the processes it named by hand and delete it`);
  }
  const result = StackFileSchema.safeParse(parsed);
  if (!result.success) throw new StackError(`${file} is not a stack file this version understands; delete it after stopping its processes`);
  return result.data;
}

export function writeStackFile(file: string, stack: StackFile): void {
  writeFileSync(file, `${JSON.stringify(stack, null, 2)}\n`);
}

export function removeStackFile(file: string): void {
  rmSync(file, { force: true });
}
