/**
 * The stack the tests run against: the one whose state directory is `$RS_STACK_DIR` (what
 * `npm test` starts) or the developer's `.stack/`. Read once per worker from its `stack.json`.
 *
 * A stack with HTTPS (RS_TLS=1, as `npm test` starts it) is tested over HTTPS: `baseUrl` is its
 * https URL, Chromium trusts exactly its certificate (the public key pinned, playwright.config.ts)
 * and Node in the test processes trusts it beside the usual CAs (trustInNode). RS_E2E_PLAIN_HTTP=1 tests
 * the plain HTTP listener instead.
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { promisify } from 'node:util';
import { DemoUsersSchema, StackFileSchema, repoRoot, stackCli, type DemoUserLogin, type StackFile } from '@reading-station/stack';

const run = promisify(execFile);

export type { DemoUserLogin };

export interface StackUnderTest {
  /** Where the tests reach nginx: the HTTPS URL when the stack serves HTTPS, else plain HTTP. */
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
  return { baseUrl: testedTls(stack)?.url ?? stack.baseUrl, stateDir, stack, users };
}

export interface TestedTls {
  url: string;
  certificateFile: string;
  /** base64 SHA-256 of the certificate's public key, for Chromium's --ignore-certificate-errors-spki-list. */
  spkiHash: string;
}

/** The stack's HTTPS server the tests use, or null on a stack without one (or with RS_E2E_PLAIN_HTTP=1). */
export function testedTls(stack: StackFile): TestedTls | null {
  return process.env.RS_E2E_PLAIN_HTTP === '1' ? null : stackTls(stack);
}

/** The stack's HTTPS server and its certificate's pin, or null on a stack without one. */
export function stackTls(stack: StackFile): TestedTls | null {
  if (!stack.httpsUrl || !stack.tlsCertificateFile) return null;
  const spki = new X509Certificate(readFileSync(stack.tlsCertificateFile)).publicKey.export({ type: 'spki', format: 'der' });
  return { url: stack.httpsUrl, certificateFile: stack.tlsCertificateFile, spkiHash: createHash('sha256').update(spki).digest('base64') };
}

/** testedTls of the stack under test, without failing when there is no stack yet (the config is read first). */
export function testedTlsIfAny(): TestedTls | null {
  const file = path.join(stackDirectory(), 'stack.json');
  if (!existsSync(file)) return null;
  return testedTls(StackFileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))));
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

/** Node's https, fetch and Playwright's request contexts in this process trust the certificate too. */
export function trustInNode(certificateFile: string): void {
  const pem = readFileSync(certificateFile, 'utf8');
  const current = getCACertificates('default');
  if (!current.includes(pem)) setDefaultCACertificates([...current, pem]);
}
