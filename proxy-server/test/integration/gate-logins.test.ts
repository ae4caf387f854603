import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditRows, callFrom, demoUser, freshLoopbackAddress, runningStack, type RunningStack } from '../support/gate-client.ts';

// Login throttling and the client address, against the running stack. Every request here comes
// from a loopback address of its own (127.x.y.z, which nginx records as $remote_addr), so the
// failures these tests provoke never count against 127.0.0.1, the address the other suites use.

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../src/cli.ts');
let stack: RunningStack;

beforeAll(() => {
  stack = runningStack();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  requestId: string;
}

/** A POST to `url` sent from the local address `from`. */
function post(url: string, body: unknown, from: string, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text, requestId: String(response.headers['x-request-id']) }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function login(from: string, username: string, password: string) {
  return post(`${stack.baseUrl}/api/auth/login`, { username, password, client: 'desktop' }, from);
}

/** A new account of this stack, so locking it cannot disturb the demo users other tests log in as. */
async function newAccount(): Promise<{ username: string; password: string }> {
  const username = `throttle.${randomUUID().slice(0, 8)}`;
  const password = randomBytes(18).toString('base64url');
  await run(process.execPath, [cli, 'user', 'add', '--username', username, '--role', 'nurse', '--display-name', 'Throttle Test'], {
    env: { ...process.env, RS_DB_FILENAME: stack.gate.database, RS_NEW_PASSWORD: password },
  });
  return { username, password };
}

describe('login throttling', () => {
  it('20 parallel wrong logins: all but the first 5 are refused with 429, and so is the right password', async () => {
    const account = await newAccount();
    const from = freshLoopbackAddress();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => login(from, account.username, `wrong-${i}`)));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    // From another address too: the account is locked, not the address.
    const right = await login(freshLoopbackAddress(), account.username, account.password);
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(right.body)).toMatchObject({ code: 'LOGIN_LOCKED_OUT' });
  });

  it('every spacing and case of a locked name is the locked name', async () => {
    const account = await newAccount();
    const from = freshLoopbackAddress();
    for (let i = 0; i < 5; i++) expect((await login(from, account.username, `wrong-${i}`)).status).toBe(401);
    for (const variant of [` ${account.username}`, `${account.username}\t`, `  ${account.username.toUpperCase()} `]) {
      const answer = await login(from, variant, account.password);
      expect(answer.status, JSON.stringify(variant)).toBe(429);
      expect(auditRows(stack, [answer.requestId])).toMatchObject([{ action: 'LOGIN_LOCKED_OUT', username: account.username, client_ip: from }]);
    }
  });

  it('after 60 wrong logins for 60 names from one address, another account still logs in from it', async () => {
    const from = freshLoopbackAddress();
    for (let i = 0; i < 60; i++) {
      const answer = await login(from, `spray.${randomUUID().slice(0, 8)}`, 'Winter2026!');
      expect(answer.status, `attempt ${i + 1}`).toBe(401);
    }
    const { password } = demoUser(stack, 'nurse.joy');
    const answer = await login(from, 'nurse.joy', password);
    expect(answer.status, answer.body).toBe(200);
    expect(auditRows(stack, [answer.requestId])).toMatchObject([{ action: 'LOGIN', username: 'nurse.joy', client_ip: from }]);
  });
});

describe('the client address', () => {
  it('is what nginx saw; a client cannot choose it with X-Real-IP, through nginx or straight to the gate', async () => {
    const from = freshLoopbackAddress();
    const viaNginx = await login(from, `nobody.${randomUUID().slice(0, 8)}`, 'x');
    expect(viaNginx.status).toBe(401);
    expect(auditRows(stack, [viaNginx.requestId])).toMatchObject([{ action: 'LOGIN_FAILED', client_ip: from }]);

    const spoofedViaNginx = await post(`${stack.baseUrl}/api/auth/login`, { username: `nobody.${randomUUID().slice(0, 8)}`, password: 'x' }, from, {
      'x-real-ip': '203.0.113.9',
    });
    expect(auditRows(stack, [spoofedViaNginx.requestId])).toMatchObject([{ client_ip: from }]);

    // A local process talking to the gate's own port directly.
    const direct = await post(`${stack.gate.url}/api/auth/login`, { username: `nobody.${randomUUID().slice(0, 8)}`, password: 'x' }, '127.0.0.1', {
      'x-real-ip': '203.0.113.9',
      'x-forwarded-for': '203.0.113.9',
    });
    expect(direct.status).toBe(401);
    expect(auditRows(stack, [direct.requestId])).toMatchObject([{ action: 'LOGIN_FAILED', client_ip: '127.0.0.1' }]);
  });

  it('the gate serves no metrics on its port; nginx has them on the operations port only', async () => {
    const direct = await fetch(`${stack.gate.url}/api/metrics`);
    expect(direct.status).toBe(404);
    await direct.arrayBuffer();
    const ops = await fetch(`${stack.opsUrl}/metrics`);
    expect(ops.status).toBe(200);
    expect(await ops.text()).toMatch(/^reading_station_logins_total\{result="failure"\} [1-9]/m);
  });
});

describe('floods', () => {
  it('rejected requests that name no user are audited as one row per kind and address, not one row each', async () => {
    const from = freshLoopbackAddress();
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push(await callFrom(stack, from, '/api/ris/worklist'));
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 401));
    const rows = auditRows(stack, answers.map((answer) => answer.requestId!));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'TOKEN_REJECTED', client_ip: from, reason: 'TOKEN_MISSING: no bearer token' });
  });

  it.each([
    ['logins', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, '/api/auth/login', 150],
    ['DICOMweb requests without a token', {}, '/api/ris/dicom-web/studies', 250],
  ] as const)('nginx answers a flood of %s from one address with 429 TOO_MANY_REQUESTS', async (_what, init, target, count) => {
    const from = freshLoopbackAddress();
    const answers = await Promise.all(Array.from({ length: count }, () => callFrom(stack, from, target, { ...init, headers: { ...('headers' in init ? init.headers : {}) } })));
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(JSON.parse(limited[0]!.text)).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    // Others are not slowed down by it.
    expect((await callFrom(stack, freshLoopbackAddress(), target, { ...init, headers: { ...('headers' in init ? init.headers : {}) } })).status).not.toBe(429);
  });
});
