/**
 * The stack the tests run against: the one whose state directory is `$RS_STACK_DIR` (what
 * `npm test` starts) or the developer's `.stack/`. Read once per worker from its `stack.json`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DemoUsersSchema, StackFileSchema, repoRoot, stackCli, type DemoUserLogin, type StackFile } from '@reading-station/stack';

const run = promisify(execFile);

export type { DemoUserLogin };

export interface StackUnderTest {
  baseUrl: string;
  stateDir: string;
  stack: StackFile;
  users: readonly DemoUserLogin[];
}

export function stackDirectory(): string {
  return path.resolve(process.env.RS_STACK_DIR ?? path.join(repoRoot, '.stack'));
}

export function readStackUnderTest(): StackUnderTest {
  const stateDir = stackDirectory();
  const file = path.join(stateDir, 'stack.json');
  if (!existsSync(file)) {
    throw new Error(`no stack at ${stateDir}: start one with \`npm run stack:up\` (or set RS_STACK_DIR to the state directory of the stack to test)`);
  }
  const stack = StackFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  if (!stack.demoUsersFile) throw new Error(`the stack at ${stateDir} has no demo users; start it with the demo data (the default)`);
  const users = DemoUsersSchema.parse(JSON.parse(readFileSync(stack.demoUsersFile, 'utf8')));
  return { baseUrl: stack.baseUrl, stateDir, stack, users };
}

export function demoUser(stack: StackUnderTest, username: string): DemoUserLogin {
  const user = stack.users.find((u) => u.username === username);
  if (!user) throw new Error(`demo user ${username} is not in ${stack.stack.demoUsersFile}`);
  return user;
}

/** Runs a repository CLI (Node 24 runs the TypeScript as is) against this stack. */
async function repoCli(stack: StackUnderTest, script: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.resolve(repoRoot, script), ...args], {
    cwd: repoRoot,
    env: { ...process.env, RS_STACK_DIR: stack.stateDir },
    timeout: 90_000,
  });
  return stdout;
}

/** The stack CLI's `orthanc stop|start`: the PACS alone goes away or comes back. */
export function orthanc(stack: StackUnderTest, action: 'stop' | 'start'): Promise<string> {
  return repoCli(stack, stackCli, ['orthanc', action]);
}

/** The admin CLI's `user revoke-sessions`: every session of the user ends server-side. */
export function revokeSessions(stack: StackUnderTest, username: string): Promise<string> {
  return repoCli(stack, 'proxy-server/src/cli.ts', ['--config', stack.stack.gate.configFile, 'user', 'revoke-sessions', username]);
}
