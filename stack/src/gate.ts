import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './config.ts';
import type { StackLayout } from './layout.ts';
import { startDetached, waitUntilReady, type StartedProcess } from './processes.ts';

/** proxy-server's entry point, run by Node 24 directly (type stripping; no build step). */
export const gateMain = path.join(repoRoot, 'proxy-server/src/main.ts');

export interface GateSettings {
  layout: StackLayout;
  port: number;
  opsPort: number;
  publicBaseUrl: string;
  accessTokenTtlSeconds: number;
}

export function gateConfiguration(settings: GateSettings) {
  return {
    listen: { host: '127.0.0.1', port: settings.port },
    database: { client: 'sqlite', filename: settings.layout.gate.database },
    orthancHealthUrl: `http://127.0.0.1:${settings.opsPort}/orthanc/system`,
    trustedProxies: ['127.0.0.1'],
    publicBaseUrl: settings.publicBaseUrl,
    logLevel: 'info',
  };
}

export async function startGate(settings: GateSettings): Promise<StartedProcess> {
  const { layout } = settings;
  mkdirSync(layout.gate.dir, { recursive: true });
  writeFileSync(layout.gate.configFile, JSON.stringify(gateConfiguration(settings), null, 2), { mode: 0o600 });
  const started = startDetached(process.execPath, [gateMain, '--config', layout.gate.configFile], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', HOME: process.env.HOME ?? '/' },
    log: layout.gate.log,
    marker: layout.gate.configFile,
  });
  await waitUntilReady(
    'proxy-server',
    started,
    async () => {
      const response = await fetch(`http://127.0.0.1:${settings.port}/api/healthz`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return response.ok;
    },
    30_000,
  );
  return started;
}
