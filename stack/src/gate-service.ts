import type { StackConfig } from './config.ts';
import { repoRoot } from './config.ts';
import { StackError } from './errors.ts';
import { gateMain, gateNodeFlags } from './gate.ts';
import { stackLayout } from './layout.ts';
import { assertPortFree, isRunning, startDetached, stopProcess, waitUntilReady } from './processes.ts';
import { readStackFile, writeStackFile } from './stack-file.ts';
import type { Report } from './stack.ts';

/**
 * Stops, kills or starts the gate alone, with the configuration `up` wrote for it, so tests and
 * operators can see how the stack behaves without it: `kill` is SIGKILL, a crash with no shutdown
 * (the registry sync's transaction and lease are what must hold then); `stop` is a clean SIGTERM.
 */
export async function gateService(config: StackConfig, action: 'stop' | 'kill' | 'start', report: Report): Promise<void> {
  const layout = stackLayout(config.stateDir);
  const stack = readStackFile(layout.stackFile);
  if (!stack) throw new StackError(`no stack is running from ${layout.stateDir}; run \`npm run stack:up\` first`);
  const current = stack.processes.gate;
  if (action !== 'start') {
    if (current) report(`proxy-server (pid ${current.pid}) ${await stopProcess(current, action === 'kill' ? 'SIGKILL' : 'SIGTERM', 15_000)}`);
    writeStackFile(layout.stackFile, { ...stack, processes: { ...stack.processes, gate: undefined } });
    return;
  }
  if (current && isRunning(current)) {
    report('proxy-server is already running');
    return;
  }
  await assertPortFree('127.0.0.1', stack.ports.gate, 'proxy-server', 'RS_GATE_PORT');
  // As startGate does, with the configuration file it wrote at `up` (credentials and all).
  const started = startDetached(process.execPath, [...gateNodeFlags, gateMain, '--config', layout.gate.configFile], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', HOME: process.env.HOME ?? '/' },
    log: layout.gate.log,
    marker: layout.gate.configFile,
  });
  await waitUntilReady(
    'proxy-server',
    started,
    async () => {
      const response = await fetch(`http://127.0.0.1:${stack.ports.gate}/api/healthz`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return response.ok;
    },
    30_000,
  );
  writeStackFile(layout.stackFile, { ...stack, processes: { ...stack.processes, gate: { pid: started.pid, marker: started.marker, log: started.log } } });
  report(`proxy-server started again (pid ${started.pid})`);
}
