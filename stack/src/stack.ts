import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { StackConfig } from './config.ts';
import {
  assertConnectionBudget,
  connectionBudget,
  connectionBudgetProblems,
  describeConnectionBudget,
  openFilesHardLimit,
} from './connection-budget.ts';
import { StackError } from './errors.ts';
import { buildGate, startGate } from './gate.ts';
import { stackLayout, type StackLayout } from './layout.ts';
import { locateNginx, startNginx, writeNginxConfiguration, type NginxSettings } from './nginx.ts';
import {
  basicAuth,
  checkOrthancVersion,
  locateOrthanc,
  orthancConfiguration,
  startOrthanc,
  writeOrthancConfiguration,
  type DicomServerSettings,
} from './orthanc.ts';
import { assertPortFree, isRunning, stopProcess, type ManagedProcess, type StartedProcess } from './processes.ts';
import { seedDemo } from './seed.ts';
import { readStackFile, removeStackFile, writeStackFile, type StackFile } from './stack-file.ts';
import { ensureTlsFiles, type TlsFiles } from './tls.ts';

export type Report = (message: string) => void;

type ServiceName = 'orthanc' | 'gate' | 'nginx';
/** Stop order: the door first, then the gate, then the PACS (which may take seconds to exit). */
const stopOrder: readonly ServiceName[] = ['nginx', 'gate', 'orthanc'];

function runningServices(stack: StackFile): ServiceName[] {
  return stopOrder.filter((name) => {
    const info = stack.processes[name];
    return info !== undefined && isRunning(info);
  });
}

async function stopServices(processes: Partial<Record<ServiceName, ManagedProcess>>, report: Report): Promise<void> {
  for (const name of stopOrder) {
    const info = processes[name];
    if (!info) continue;
    // Orthanc flushes its index on SIGTERM and can take several seconds; never start a second
    // one on the same storage before the first has exited.
    const outcome = await stopProcess(info, 'SIGTERM', name === 'orthanc' ? 60_000 : 15_000);
    if (outcome !== 'not-running') report(`${name} (pid ${info.pid}) ${outcome}`);
  }
}

async function readyCheck(baseUrl: string): Promise<void> {
  let body: string;
  try {
    const response = await fetch(`${baseUrl}/api/readyz`, { signal: AbortSignal.timeout(10_000) });
    body = await response.text();
    if (response.ok) return;
  } catch (error) {
    body = (error as Error).message;
  }
  throw new StackError(`the stack started but is not ready: ${baseUrl}/api/readyz answered ${body.slice(0, 500)}`);
}

export async function stackUp(config: StackConfig, report: Report): Promise<StackFile> {
  const layout = stackLayout(config.stateDir);
  mkdirSync(layout.logs, { recursive: true });

  const previous = readStackFile(layout.stackFile);
  if (previous) {
    const running = runningServices(previous);
    if (running.length === stopOrder.length) {
      report(`the stack is already running at ${previous.baseUrl}`);
      return previous;
    }
    if (running.length > 0) {
      throw new StackError(
        `a previous stack is partly running (${running.join(', ')}); run \`npm run stack:down\` first`,
      );
    }
    removeStackFile(layout.stackFile);
  }

  // Everything that can be checked before starting anything.
  const budget = connectionBudget(config);
  assertConnectionBudget(connectionBudgetProblems(budget, { openFilesHardLimit: openFilesHardLimit(), root: process.getuid?.() === 0 }));
  const installation = locateOrthanc(config.orthancRoot);
  const nginx = locateNginx();
  const { ports } = config;
  await assertPortFree(config.listenAddress, ports.http, 'nginx, public', 'RS_HTTP_PORT');
  if (config.tls.enabled) await assertPortFree(config.listenAddress, config.tls.port, 'nginx, HTTPS', 'RS_HTTPS_PORT');
  await assertPortFree('127.0.0.1', ports.ops, 'nginx, operations', 'RS_OPS_PORT');
  await assertPortFree('127.0.0.1', ports.gate, 'proxy-server', 'RS_GATE_PORT');
  await assertPortFree('127.0.0.1', ports.orthanc, 'Orthanc', 'RS_ORTHANC_PORT');
  // Orthanc's DICOM server listens on every interface (it has no bind option).
  await assertPortFree('0.0.0.0', config.dicom.port, 'Orthanc, DICOM', 'RS_DICOM_PORT');
  const orthancVersion = await checkOrthancVersion(installation);
  buildGate(report);

  const started: Partial<Record<ServiceName, StartedProcess>> = {};
  try {
    // Orthanc's credentials are new for every start and written only into Orthanc's and nginx's
    // configuration files (mode 600).
    const credentials = { username: 'reading-station-nginx', password: randomBytes(24).toString('base64url') };
    writeOrthancConfiguration(
      layout,
      orthancConfiguration({ layout, installation, port: ports.orthanc, credentials, dicom: dicomSettings(config), budget }),
    );
    report(`starting Orthanc ${orthancVersion} on 127.0.0.1:${ports.orthanc} (DICOM ${config.dicom.aet} on port ${config.dicom.port})`);
    started.orthanc = await startOrthanc({ layout, installation, port: ports.orthanc, credentials });

    const baseUrl = `http://${config.listenAddress}:${ports.http}`;
    const publicBaseUrl = config.publicBaseUrl ?? baseUrl;
    report(`starting proxy-server on 127.0.0.1:${ports.gate}`);
    started.gate = await startGate({
      layout,
      port: ports.gate,
      opsPort: ports.ops,
      publicBaseUrl,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      orthanc: { url: `http://127.0.0.1:${ports.orthanc}`, ...credentials },
      dicomwebCache: { enabled: config.dicomwebCache.enabled, revisionPollMs: config.dicomwebCache.revisionPollMs },
    });

    const tls = config.tls.enabled
      ? await ensureTlsFiles({ stateDir: layout.stateDir, configured: config.tls, hosts: [config.listenAddress, 'localhost'] })
      : undefined;
    const nginxSettings: NginxSettings = {
      layout,
      listenAddress: config.listenAddress,
      httpPort: ports.http,
      opsPort: ports.ops,
      gatePort: ports.gate,
      orthancPort: ports.orthanc,
      orthancBasicAuth: basicAuth(credentials),
      rendererDist: config.rendererDist,
      corsOrigins: config.corsOrigins,
      publicBaseUrl,
      budget,
      ...(tls && { tls: { certificateFile: tls.certificateFile, keyFile: tls.keyFile, port: config.tls.port } }),
      cache: config.dicomwebCache,
    };
    report(describeConnectionBudget(budget));
    await writeNginxConfiguration(nginxSettings, nginx);
    report(`starting nginx on ${config.listenAddress}:${ports.http}${tls ? ` and HTTPS on ${config.tls.port}${tls.selfSigned ? ` (self-signed certificate ${tls.certificateFile})` : ''}` : ''}`);
    started.nginx = await startNginx(nginxSettings, nginx);

    const stack = describeStack({ config, layout, baseUrl, orthancVersion, started, tls });
    writeStackFile(layout.stackFile, stack);
    await readyCheck(baseUrl);

    if (config.demo) {
      await seedDemo({
        config,
        layout,
        orthanc: { baseUrl: `http://127.0.0.1:${ports.orthanc}`, ...credentials },
        report,
      });
    }
    const final: StackFile = { ...stack, demoUsersFile: existsSync(layout.demoUsersFile) ? layout.demoUsersFile : null };
    writeStackFile(layout.stackFile, final);
    return final;
  } catch (error) {
    report('start failed; stopping what was started');
    await stopServices(started, () => undefined);
    removeStackFile(layout.stackFile);
    throw error;
  }
}

function dicomSettings(config: StackConfig): DicomServerSettings {
  return { ...config.dicom, stableAgeSeconds: config.orthancStableAgeSeconds };
}

function describeStack(options: {
  config: StackConfig;
  layout: StackLayout;
  baseUrl: string;
  orthancVersion: string;
  tls?: TlsFiles | undefined;
  started: Partial<Record<ServiceName, StartedProcess>>;
}): StackFile {
  const { config, layout, started } = options;
  const managed = (p: StartedProcess | undefined): ManagedProcess | undefined =>
    p ? { pid: p.pid, marker: p.marker, log: p.log } : undefined;
  return {
    version: 1,
    startedAt: new Date().toISOString(),
    baseUrl: options.baseUrl,
    ...(options.tls && { httpsUrl: `https://${config.listenAddress}:${config.tls.port}`, tlsCertificateFile: options.tls.certificateFile }),
    opsUrl: `http://127.0.0.1:${config.ports.ops}`,
    stateDir: layout.stateDir,
    ports: config.ports,
    orthanc: {
      url: `http://127.0.0.1:${config.ports.orthanc}`,
      version: options.orthancVersion,
      configFile: layout.orthanc.configFile,
    },
    dicom: { port: config.dicom.port, aet: config.dicom.aet, modalities: config.dicom.modalities.map(({ aet, host }) => ({ aet, host })) },
    gate: {
      url: `http://127.0.0.1:${config.ports.gate}`,
      configFile: layout.gate.configFile,
      database: layout.gate.database,
      opsSocket: layout.gate.opsSocket,
    },
    nginx: {
      configFile: layout.nginx.configFile,
      ...(config.dicomwebCache.enabled && {
        cache: {
          dir: layout.nginx.cache,
          maxSize: config.dicomwebCache.maxSize,
          keysZone: config.dicomwebCache.keysZone,
          inactive: config.dicomwebCache.inactive,
          valid: config.dicomwebCache.valid,
          revisionPollMs: config.dicomwebCache.revisionPollMs,
        },
      }),
    },
    processes: { orthanc: managed(started.orthanc), gate: managed(started.gate), nginx: managed(started.nginx) },
    logs: {
      orthanc: layout.orthanc.log,
      gate: layout.gate.log,
      nginx: layout.nginx.log,
      nginxError: layout.nginx.errorLog,
      nginxAccess: layout.nginx.accessLog,
    },
    demoUsersFile: existsSync(layout.demoUsersFile) ? layout.demoUsersFile : null,
  };
}

export async function stackDown(config: StackConfig, report: Report): Promise<void> {
  const layout = stackLayout(config.stateDir);
  const stack = readStackFile(layout.stackFile);
  if (!stack) {
    report(`no stack is running from ${layout.stateDir}`);
    return;
  }
  await stopServices(stack.processes, report);
  const left = runningServices(stack);
  if (left.length > 0) throw new StackError(`could not stop: ${left.join(', ')}`);
  removeStackFile(layout.stackFile);
}

export function stackStatus(config: StackConfig): { stack?: StackFile; running: ServiceName[] } {
  const layout = stackLayout(config.stateDir);
  const stack = readStackFile(layout.stackFile);
  return stack ? { stack, running: runningServices(stack) } : { running: [] };
}

/**
 * Stops or starts Orthanc alone, keeping its configuration and credentials, so tests and operators
 * can see how the stack behaves while the PACS is away and that it recovers without a restart.
 */
export async function orthancService(config: StackConfig, action: 'stop' | 'start', report: Report): Promise<void> {
  const layout = stackLayout(config.stateDir);
  const stack = readStackFile(layout.stackFile);
  if (!stack) throw new StackError(`no stack is running from ${layout.stateDir}; run \`npm run stack:up\` first`);
  const current = stack.processes.orthanc;
  if (action === 'stop') {
    if (current) report(`Orthanc (pid ${current.pid}) ${await stopProcess(current, 'SIGTERM', 60_000)}`);
    writeStackFile(layout.stackFile, { ...stack, processes: { ...stack.processes, orthanc: undefined } });
    return;
  }
  if (current && isRunning(current)) {
    report('Orthanc is already running');
    return;
  }
  const installation = locateOrthanc(config.orthancRoot);
  const configuration = JSON.parse(readFileSync(layout.orthanc.configFile, 'utf8')) as { RegisteredUsers: Record<string, string> };
  const [username, password] = Object.entries(configuration.RegisteredUsers)[0] ?? [];
  if (!username || !password) throw new StackError(`${layout.orthanc.configFile} has no registered user; restart the stack`);
  await assertPortFree('127.0.0.1', stack.ports.orthanc, 'Orthanc', 'RS_ORTHANC_PORT');
  const started = await startOrthanc({ layout, installation, port: stack.ports.orthanc, credentials: { username, password } });
  writeStackFile(layout.stackFile, {
    ...stack,
    processes: { ...stack.processes, orthanc: { pid: started.pid, marker: started.marker, log: started.log } },
  });
  report(`Orthanc started again (pid ${started.pid})`);
}
