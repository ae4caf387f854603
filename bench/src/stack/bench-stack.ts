import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DemoUsersSchema, isRunning, readStackFile, repoRoot, stackCli, type DemoUserLogin, type StackFile } from '@reading-station/stack';

const OrthancConfigSchema = z.object({ RegisteredUsers: z.record(z.string(), z.string()) });

export interface BenchStack {
  file: StackFile;
  gatePid: number;
  demoUsers: DemoUserLogin[];
  orthanc: { baseUrl: string; username: string; password: string; authorization: string };
  /** True when the bench started this stack (and so stops it at the end). */
  startedByBench: boolean;
}

export interface StackPorts {
  http: number;
  gate: number;
  orthanc: number;
  ops: number;
}

function runCli(command: 'up' | 'down', env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [stackCli, command], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        // demo-users.json holds the passwords; the bench log does not need them.
        if (line.trim() && !/^\s+\w+\s+\S+\s+\S+\s+\(\d+ stud(?:y|ies)\)$/.test(line)) {
          output.push(line);
          if (line.startsWith('[stack]')) log(line.replace(/^\[stack\]\s*/, 'stack: '));
        }
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    // The first start generates and imports the demo studies: minutes, not hours.
    const timer = setTimeout(() => child.kill('SIGTERM'), 15 * 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`stack ${command} failed (exit ${code}):\n${output.slice(-20).join('\n')}`));
    });
  });
}

function stackEnv(stateDir: string, ports: StackPorts): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RS_STACK_DIR: stateDir,
    RS_HTTP_PORT: String(ports.http),
    RS_GATE_PORT: String(ports.gate),
    RS_ORTHANC_PORT: String(ports.orthanc),
    RS_OPS_PORT: String(ports.ops),
    // An hour: long enough that no token expires inside a run (each run logs in afresh anyway).
    RS_ACCESS_TOKEN_TTL: '3600',
  };
}

function runningStackFile(stateDir: string): StackFile | undefined {
  const file = readStackFile(path.join(stateDir, 'stack.json'));
  if (!file) return undefined;
  const { orthanc, gate, nginx } = file.processes;
  return orthanc && gate && nginx && [orthanc, gate, nginx].every((p) => isRunning(p)) ? file : undefined;
}

/** Uses the stack running from `stateDir`, or starts one there on `ports`. */
export async function openBenchStack(stateDir: string, ports: StackPorts, log: (line: string) => void): Promise<BenchStack> {
  let file = runningStackFile(stateDir);
  let startedByBench = false;
  if (file) {
    log(`using the stack running from ${stateDir} (${file.baseUrl})`);
  } else {
    log(`starting a stack in ${stateDir} (http ${ports.http}, gate ${ports.gate}, Orthanc ${ports.orthanc}, ops ${ports.ops})`);
    await runCli('up', stackEnv(stateDir, ports), log);
    startedByBench = true;
    file = runningStackFile(stateDir);
    if (!file) throw new Error(`the stack in ${stateDir} did not come up; see its logs under ${stateDir}/logs`);
  }
  if (!file.demoUsersFile || !existsSync(file.demoUsersFile)) {
    throw new Error('the stack has no demo data (started with --no-demo?); the bench logs in as the demo admin');
  }
  const demoUsers = DemoUsersSchema.parse(JSON.parse(readFileSync(file.demoUsersFile, 'utf8')));
  const orthancConfig = OrthancConfigSchema.parse(JSON.parse(readFileSync(file.orthanc.configFile, 'utf8')));
  const [username, password] = Object.entries(orthancConfig.RegisteredUsers)[0] ?? [];
  if (!username || !password) throw new Error(`${file.orthanc.configFile} has no registered user`);
  return {
    file,
    gatePid: (file.processes.gate as { pid: number }).pid,
    demoUsers,
    orthanc: {
      baseUrl: file.orthanc.url,
      username,
      password,
      authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
    },
    startedByBench,
  };
}

export async function closeBenchStack(stack: BenchStack, log: (line: string) => void): Promise<void> {
  if (!stack.startedByBench) return;
  const ports = stack.file.ports;
  await runCli('down', stackEnv(stack.file.stateDir, ports), log);
}

export interface AccessToken {
  token: string;
  expiresAt: number;
}

/** A fresh access token for a demo user, straight from the gate's login endpoint. */
export async function login(stack: BenchStack, username: string): Promise<AccessToken> {
  const user = stack.demoUsers.find((u) => u.username === username);
  if (!user) throw new Error(`no demo user ${username}`);
  const response = await fetch(`${stack.file.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: user.password, client: 'desktop' }),
    signal: AbortSignal.timeout(10_000),
  });
  const body: unknown = await response.json();
  const parsed = z.object({ accessToken: z.string(), expiresAt: z.string() }).safeParse(body);
  if (!response.ok || !parsed.success) throw new Error(`login as ${username} failed: ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
  return { token: parsed.data.accessToken, expiresAt: Date.parse(parsed.data.expiresAt) };
}

/**
 * A demo user's access token, reused while it stays valid long enough. Logging in costs the gate
 * an argon2id hash and an audit row, so the bench does not log in before every run.
 */
export class TokenSource {
  readonly #stack: BenchStack;
  readonly #username: string;
  #current: AccessToken | undefined;

  constructor(stack: BenchStack, username: string) {
    this.#stack = stack;
    this.#username = username;
  }

  /** A token valid for at least `seconds` more. */
  async token(seconds: number): Promise<string> {
    if (!this.#current || this.#current.expiresAt - Date.now() < seconds * 1000) {
      this.#current = await login(this.#stack, this.#username);
      if (this.#current.expiresAt - Date.now() < seconds * 1000) {
        throw new Error(`access tokens live shorter than the ${seconds} s a run needs; start the stack with RS_ACCESS_TOKEN_TTL=3600`);
      }
    }
    return this.#current.token;
  }
}
