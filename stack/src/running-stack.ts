import { readFileSync } from 'node:fs';
import path from 'node:path';
import { roleSchema } from '@reading-station/contract';
import { z } from 'zod';
import { repoRoot } from './config.ts';
import { StackFileSchema, type StackFile } from './stack-file.ts';

/** `.stack/demo-users.json` (written by seed.ts): every demo login and exactly the studies it may see. */
export const DemoUsersSchema = z.array(
  z.object({
    username: z.string(),
    password: z.string(),
    role: roleSchema,
    displayName: z.string(),
    studies: z.array(z.string()),
  }),
);
export type DemoUserLogin = z.infer<typeof DemoUsersSchema>[number];

export interface RunningStack extends StackFile {
  demoUsers: DemoUserLogin[];
  /** What nginx sends to Orthanc; tests use it to reach Orthanc directly, as nginx does. */
  orthancAuthorization: string;
}

/**
 * The running stack that tests and tools use: the one in `$RS_STACK_DIR` (what `npm test` starts),
 * or the developer's `.stack`.
 */
export function runningStack(): RunningStack {
  const stateDir = process.env.RS_STACK_DIR ?? path.join(repoRoot, '.stack');
  const file = path.join(stateDir, 'stack.json');
  let stack: StackFile;
  try {
    stack = StackFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    throw new Error(`no running stack at ${file} (${(error as Error).message}); start one with \`npm run stack:up\``, { cause: error });
  }
  if (!stack.demoUsersFile) throw new Error('the running stack has no demo data; start it without --no-demo');
  const demoUsers = DemoUsersSchema.parse(JSON.parse(readFileSync(stack.demoUsersFile, 'utf8')));
  const orthancConfig = z
    .object({ RegisteredUsers: z.record(z.string(), z.string()) })
    .parse(JSON.parse(readFileSync(stack.orthanc.configFile, 'utf8')));
  const [username, password] = Object.entries(orthancConfig.RegisteredUsers)[0] ?? [];
  if (!username || !password) throw new Error('Orthanc has no registered user');
  return { ...stack, demoUsers, orthancAuthorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

export function demoUser(stack: RunningStack, username: string): DemoUserLogin {
  const user = stack.demoUsers.find((u) => u.username === username);
  if (!user) throw new Error(`no demo user ${username}`);
  return user;
}
