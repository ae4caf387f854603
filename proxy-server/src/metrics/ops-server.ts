import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { GateMetrics } from './gate-metrics.ts';

/**
 * The gate's operations listener: `GET /metrics` (Prometheus) on a Unix socket, apart from the
 * public listener nginx forwards clients to, so no client request can reach it whatever nginx's
 * public locations say. nginx's loopback operations server proxies `/metrics` here. The socket is
 * made readable and writable by every local user (nginx's workers run as another user), which is
 * what nginx's loopback operations port already offers; metrics carry route kinds and counts, never
 * users or UIDs.
 */
export async function listenOps(socketPath: string, metrics: GateMetrics): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics failed\n'),
    );
  });
  removeStaleSocket(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socketPath, 0o666);
  return server;
}

/** A socket file left by a gate that did not exit cleanly would make listen fail with EADDRINUSE. */
function removeStaleSocket(socketPath: string): void {
  try {
    if (lstatSync(socketPath).isSocket()) unlinkSync(socketPath);
  } catch {
    // Nothing there.
  }
}
