// `npm run bench`: measures the gate against its baselines on the real stack, on loopback.
// See bench/README.md for what each benchmark measures and how to read the figures.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readDemoManifest } from '@reading-station/demo-data';
import { loadStackConfig } from '@reading-station/stack';
import { startPipeProxy } from './src/baseline/start-pipe-proxy.ts';
import { runAddedLatency } from './src/benchmarks/added-latency.ts';
import { runAuditedDecisions } from './src/benchmarks/audited-decisions.ts';
import type { BenchContext, FramePayload, PayloadName } from './src/benchmarks/context.ts';
import { runGateMemory } from './src/benchmarks/gate-memory.ts';
import { runGateOverhead } from './src/benchmarks/gate-overhead.ts';
import { runHtj2kProgression } from './src/benchmarks/htj2k-progression.ts';
import { runNginxCache } from './src/benchmarks/nginx-cache.ts';
import { runSoak } from './src/benchmarks/soak.ts';
import { runViewer } from './src/benchmarks/viewer.ts';
import { ensureLargeCt } from './src/data/ensure-large-ct.ts';
import { ensureWrk } from './src/load/wrk.ts';
import { loadAverage, machineInfo } from './src/machine.ts';
import { USAGE, parseOptions, type BenchOptions } from './src/options.ts';
import { decisionBreakdown } from './src/profile/decision-breakdown.ts';
import { profileGateDecisions } from './src/profile/profile-gate.ts';
import { writeChart, writeReports } from './src/report/write-reports.ts';
import type { BenchResults } from './src/results.ts';
import { startBenchNginx, stopBenchNginx } from './src/stack/bench-nginx.ts';
import { TokenSource, closeBenchStack, openBenchStack } from './src/stack/bench-stack.ts';

const benchDir = path.dirname(new URL(import.meta.url).pathname);

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Undo steps, run last-in first-out at the end, on failure, or on Ctrl-C. */
class Cleanup {
  readonly #steps: Array<() => Promise<void>> = [];
  add(step: () => Promise<void>): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    while (this.#steps.length > 0) {
      const step = this.#steps.pop() as () => Promise<void>;
      await step().catch((error: unknown) => log(`cleanup: ${(error as Error).message}`));
    }
  }
}

async function framePayloads(options: BenchOptions, context: Pick<BenchContext, 'stack'>): Promise<{ payloads: Record<PayloadName, FramePayload>; smallStudyUid: string }> {
  const manifest = await readDemoManifest(loadStackConfig().demoCacheDir);
  if (!manifest) throw new Error('no demo manifest; the stack generates it on its first start');
  const study = manifest.cohort.studies[0];
  const series = study?.series[0];
  // A slice from the middle of the first series: a typical ~200 KB HTJ2K codestream.
  const instance = manifest.instances.find((i) => i.seriesInstanceUid === series?.seriesInstanceUid && i.sliceIndex === Math.floor((series?.sliceCount ?? 2) / 2));
  if (!study || !instance) throw new Error('the demo manifest has no studies');
  const large = await ensureLargeCt(context.stack, path.join(options.stackDir, 'bench-data'));
  return {
    smallStudyUid: study.studyInstanceUid,
    payloads: {
      'htj2k-512': {
        name: 'htj2k-512',
        description: `512×512 HTJ2K lossless frame, ${(instance.codestreamBytes / 1024).toFixed(0)} KiB`,
        path: `studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}/frames/1`,
        frameBytes: instance.codestreamBytes,
      },
      'raw-2048': {
        name: 'raw-2048',
        description: '2048×2048 16-bit explicit little endian frame, 8 MiB',
        path: `studies/${large.studyInstanceUid}/series/${large.seriesInstanceUid}/instances/${large.sopInstanceUid}/frames/1`,
        frameBytes: large.frameBytes,
      },
    },
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (options.from) {
    const chart = writeChart(JSON.parse(readFileSync(options.from, 'utf8')) as BenchResults, benchDir);
    log(chart ? `wrote ${path.relative(process.cwd(), chart)}` : 'nothing to chart in that file');
    return;
  }
  ensureWrk(log);
  const cleanup = new Cleanup();
  const stop = (): void => {
    log('interrupted: stopping what the bench started');
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    const stack = await openBenchStack(options.stackDir, options.stackPorts, log);
    if (stack.startedByBench && !options.keepStack) cleanup.add(() => closeBenchStack(stack, log));
    const { payloads, smallStudyUid } = await framePayloads(options, { stack });

    const benchState = path.join(options.stackDir, 'bench');
    mkdirSync(path.join(benchState, 'logs'), { recursive: true });
    const pipe = await startPipeProxy({
      port: options.benchPorts.pipe,
      orthancUrl: stack.orthanc.baseUrl,
      orthancAuthorization: stack.orthanc.authorization,
      logFile: path.join(benchState, 'logs', 'pipe-proxy.log'),
    });
    cleanup.add(() => pipe.stop());
    const nginx = await startBenchNginx({
      stateDir: benchState,
      httpPort: options.benchPorts.http,
      opsPort: options.benchPorts.ops,
      pipePort: options.benchPorts.pipe,
      gatePort: stack.file.ports.gate,
      orthancPort: stack.file.ports.orthanc,
      orthancAuthorization: stack.orthanc.authorization,
    });
    cleanup.add(() => stopBenchNginx(nginx));
    log(`bench nginx on ${nginx.baseUrl} (${nginx.configFile}); pipe proxy pid ${pipe.pid}; gate pid ${stack.gatePid}`);

    const context: BenchContext = { stack, admin: new TokenSource(stack, 'admin'), nginx, pipe, payloads, smallStudyUid, log };
    const results: BenchResults = {
      startedAt: new Date().toISOString(),
      quick: options.quick,
      machine: machineInfo(stack.file.orthanc.version),
      loadAverageAtStart: loadAverage(),
      payloads,
    };

    if (options.only.has('overhead')) {
      results.overhead = await runGateOverhead(context, { ...options.overhead, payloads: ['htj2k-512', 'raw-2048'] });
    }
    if (options.only.has('memory')) results.memory = await runGateMemory(context, options.memory);
    if (options.only.has('decisions')) results.decisions = await runAuditedDecisions(context, options.decisions);
    if (options.only.has('latency')) results.latency = await runAddedLatency(context, options.latency);
    if (options.only.has('profile')) {
      results.profile = await profileGateDecisions(context, {
        port: options.benchPorts.profile,
        dir: path.join(benchDir, '.profiles'),
        ...options.profile,
      });
      results.breakdown = await decisionBreakdown(context, { dir: path.join(benchDir, '.profiles'), operations: options.quick ? 500 : 3000 });
    }
    if (options.only.has('viewer')) results.viewer = await runViewer(context, { quick: options.quick });
    if (options.only.has('htj2k')) results.htj2k = runHtj2kProgression({ slices: options.quick ? 4 : 24, log });
    if (options.only.has('cache')) results.cache = await runNginxCache(context, options.cache);
    if (options.only.has('soak')) results.soak = await runSoak(context, options.soak);
    results.finishedAt = new Date().toISOString();

    const written = writeReports(results, { benchDir, record: options.record });
    for (const file of written) log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    await cleanup.run();
  }
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  if (process.env.RS_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
});
