import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateMetrics } from './gate-metrics.ts';
import { listenOps } from './ops-server.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function get(socketPath: string, target: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path: target }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('listenOps', () => {
  it('serves the metrics at /metrics on its socket, nothing else, and replaces a stale socket file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rs-ops-'));
    dirs.push(dir);
    const socketPath = path.join(dir, 'ops.sock');
    const metrics = createGateMetrics();
    metrics.logins.inc({ result: 'success' });
    // A socket left behind by an earlier process.
    const stale = await listenOps(socketPath, createGateMetrics());
    stale.close();
    const server = await listenOps(socketPath, metrics);
    try {
      expect(statSync(socketPath).mode & 0o777).toBe(0o666);
      const answer = await get(socketPath, '/metrics');
      expect(answer.status).toBe(200);
      expect(answer.type).toMatch(/^text\/plain/);
      expect(answer.body).toMatch(/^reading_station_logins_total\{result="success"\} 1$/m);
      expect((await get(socketPath, '/api/metrics')).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
