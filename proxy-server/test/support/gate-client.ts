import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import net from 'node:net';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { demoUser, runningStack, type RunningStack } from '@reading-station/stack';

export { runningStack, demoUser, type RunningStack };
export { DICOM_JSON, FRAME_ACCEPT } from '@reading-station/contract';

/** Secrets nginx holds for Orthanc; no response in the gate suites may ever contain them. */
export function orthancSecrets(stack: RunningStack): string[] {
  const config = JSON.parse(readFileSync(stack.orthanc.configFile, 'utf8')) as { RegisteredUsers: Record<string, string> };
  const [, password] = Object.entries(config.RegisteredUsers)[0] ?? [];
  return [stack.orthancAuthorization.slice('Basic '.length), password as string];
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
  requestId: string | null;
}

/** Fetches and checks that the answer carries none of Orthanc's credentials. */
export async function call(stack: RunningStack, url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url.startsWith('http') ? url : `${stack.baseUrl}${url}`, init);
  const body = Buffer.from(await response.arrayBuffer());
  const text = body.toString('latin1');
  for (const secret of orthancSecrets(stack)) expect(text.includes(secret), `credentials leaked by ${url}`).toBe(false);
  return { status: response.status, headers: response.headers, body, text, requestId: response.headers.get('x-request-id') };
}

/** Sends a request line (and Host header) exactly as given (fetch would encode it), through nginx. */
export async function rawRequest(
  stack: RunningStack,
  target: string,
  headers: Record<string, string> = {},
  host = `127.0.0.1:${stack.ports.http}`,
): Promise<{ status: number; raw: string }> {
  const socket = net.connect({ host: '127.0.0.1', port: stack.ports.http });
  const head = [`GET ${target} HTTP/1.1`, `Host: ${host}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  socket.write(Buffer.from(head, 'latin1'));
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve());
    socket.on('error', reject);
    socket.setTimeout(15_000, () => reject(new Error('raw request timed out')));
  });
  const raw = Buffer.concat(chunks).toString('latin1');
  for (const secret of orthancSecrets(stack)) expect(raw.includes(secret), `credentials leaked by raw ${JSON.stringify(target)}`).toBe(false);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
  return { status, raw };
}

export interface LoginReply {
  accessToken: string;
  expiresAt: string;
  refreshToken?: string;
  user: { id: number; username: string; role: string };
}

const tokens = new Map<string, { token: string; until: number }>();

export async function login(stack: RunningStack, username: string, client: 'desktop' | 'web' = 'desktop'): Promise<LoginReply> {
  const { password } = demoUser(stack, username);
  const reply = await call(stack, '/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, client }),
  });
  expect(reply.status, `login ${username}: ${reply.text}`).toBe(200);
  return JSON.parse(reply.text) as LoginReply;
}

/** An access token for a demo user, reused while it has at least 10 s left. */
export async function accessToken(stack: RunningStack, username: string): Promise<string> {
  const cached = tokens.get(username);
  if (cached && cached.until > Date.now()) return cached.token;
  const reply = await login(stack, username);
  tokens.set(username, { token: reply.accessToken, until: new Date(reply.expiresAt).getTime() - 10_000 });
  return reply.accessToken;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The audit rows with these request ids, read from the stack's SQLite registry. */
export function auditRows(stack: RunningStack, requestIds: readonly string[]): Array<Record<string, unknown>> {
  if (requestIds.length === 0) return [];
  const db = new Database(stack.gate.database, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(`select * from audit_log where request_id in (${requestIds.map(() => '?').join(',')}) order by id`)
      .all(...requestIds) as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

/**
 * A loopback address of its own (127.x.y.z, which nginx records as the client's address): requests
 * sent from it are throttled, rate-limited and aggregated apart from those of other tests.
 */
export function freshLoopbackAddress(): string {
  const [a = 0, b = 0, c = 0] = randomBytes(3);
  return `127.${(a % 254) + 1}.${b}.${(c % 253) + 2}`;
}

/** Like `call`, from the local address `from` (fetch cannot choose it). */
export function callFrom(stack: RunningStack, from: string, target: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const url = target.startsWith('http') ? target : `${stack.baseUrl}${target}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', localAddress: from, headers: init.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('latin1');
        for (const secret of orthancSecrets(stack)) expect(text.includes(secret), `credentials leaked by ${url}`).toBe(false);
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(name, value);
        resolve({ status: response.statusCode ?? 0, headers, body, text, requestId: headers.get('x-request-id') });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
