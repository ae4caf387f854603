import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoUser, runningStack, type RunningStack } from '../../src/running-stack.ts';

// nginx's HTTPS server (tls.enabled / RS_TLS=1): the same locations with TLS 1.2/1.3 and HSTS,
// reached with the stack's certificate as the only trusted one. Skipped on a stack without TLS.

interface HttpsReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  protocol: string | null;
}

let stack: RunningStack;
const stackHasTls = (() => {
  try {
    return runningStack().httpsUrl !== undefined;
  } catch {
    return false;
  }
})();

function httpsCall(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer | null } = {}): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const ca = options.ca === undefined ? readFileSync(stack.tlsCertificateFile as string) : options.ca;
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, ...(ca && { ca }) }, (response) => {
      const protocol = (response.socket as TLSSocket).getProtocol?.() ?? null;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('latin1'),
          protocol,
        }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

beforeAll(() => {
  stack = runningStack();
});

describe.skipIf(!stackHasTls)('HTTPS (the stack started with RS_TLS=1)', () => {
  it('serves health with TLS 1.2 or 1.3 and HSTS; plain HTTP carries no HSTS', async () => {
    const secure = await httpsCall(`${stack.httpsUrl}/api/healthz`);
    expect(secure.status).toBe(200);
    expect(secure.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000');
    const plain = await fetch(`${stack.baseUrl}/api/healthz`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });

  it('presents the certificate stack.json names: a client that does not trust it is refused', async () => {
    await expect(httpsCall(`${stack.httpsUrl}/api/healthz`, { ca: null })).rejects.toThrow(/self[- ]signed|unable to verify/i);
  });

  it('the web app, login (Secure refresh cookie) and a study’s metadata over HTTPS, each with HSTS', async () => {
    const app = await httpsCall(`${stack.httpsUrl}/`);
    expect(app.status).toBe(200);
    expect(app.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(app.headers['strict-transport-security']).toBe('max-age=31536000');

    const user = demoUser(stack, 'dr.house');
    const login = await httpsCall(`${stack.httpsUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.username, password: user.password, client: 'web' }),
    });
    expect(login.status, login.body).toBe(200);
    expect(login.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly/i);
    expect(String(login.headers['set-cookie'])).toMatch(/Secure/i);
    const { accessToken } = JSON.parse(login.body) as { accessToken: string };

    const metadata = await httpsCall(`${stack.httpsUrl}/api/ris/dicom-web/studies/${user.studies[0]}/metadata`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/dicom+json' },
    });
    expect(metadata.status).toBe(200);
    expect(metadata.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(metadata.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(metadata.body)).toEqual(expect.arrayContaining([expect.objectContaining({ '0020000D': { vr: 'UI', Value: [user.studies[0]] } })]));
  });
});
