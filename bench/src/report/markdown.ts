import type { DecodeSummary } from '../benchmarks/viewer.ts';
import type { BenchResults } from '../results.ts';
import { cacheSection } from './cache-section.ts';
import { soakSection } from './soak-section.ts';
import { checkTargets } from './targets.ts';

function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const line = (cells: ReadonlyArray<string | number>): string => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const n = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const range = (values: readonly number[]): string => {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '–';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return lo === hi ? n(lo, 1) : `${n(lo, 1)}–${n(hi, 1)}`;
};

function machineLines(results: BenchResults): string[] {
  const { machine } = results;
  return [
    `- Machine: ${machine.nproc} × ${machine.cpuModel}, ${machine.memoryGiB} GiB RAM; ${machine.os}, kernel ${machine.kernel}`,
    `- Versions: Node ${machine.versions.node}, ${machine.versions.nginx}, Orthanc ${machine.versions.orthanc}, ${machine.versions.wrk}` +
      (machine.versions.chromium ? `, ${machine.versions.chromium}` : ''),
    `- 1-minute load average at start: ${results.loadAverageAtStart} (the machine is shared; each run's own is in the JSON and the tables)`,
  ];
}

function overheadSection(results: BenchResults): string[] {
  const overhead = results.overhead;
  if (!overhead) return [];
  const rounds = Math.max(...overhead.runs.map((run) => run.round));
  const duration = overhead.runs[0]?.result.durationS ?? 0;
  const rows = overhead.summary.map((row) => {
    const loads = overhead.runs.filter((run) => run.payload === row.payload && run.connections === row.connections).map((run) => run.loadAverage1m);
    return [
      row.payload,
      row.connections,
      `${n(row.requestsPerSecond.direct)} / ${n(row.requestsPerSecond.gate)} / ${n(row.requestsPerSecond.pipe)}`,
      `**${n(row.ratioGateToDirect, 2)}**`,
      n(row.ratioPipeToDirect, 2),
      `${n(row.p50Ms.direct)} / ${n(row.p50Ms.gate)} / ${n(row.p50Ms.pipe)}`,
      `${n(row.p99Ms.direct)} / ${n(row.p99Ms.gate)} / ${n(row.p99Ms.pipe)}`,
      `${n(row.gateCpuMsPerRequest, 3)} / ${n(row.pipeCpuMsPerRequest, 3)}`,
      range(loads),
    ];
  });
  const invalid = overhead.runs.filter((run) => !run.valid).length;
  return [
    `### 1. Gate overhead (frame GET; wrk, closed loop; ${rounds} round(s) of ${n(duration, 0)} s per variant, interleaved)`,
    '',
    '(a) nginx → Orthanc through a bench-only location, (b) nginx → gate → X-Accel-Redirect → Orthanc, ' +
      '(c) nginx → Node pipe proxy → Orthanc. Medians over rounds; ratios are taken within each round, then the median.',
    '',
    table(['payload', 'conns', 'req/s a / b / c', 'b/a', 'c/a', 'p50 ms a / b / c', 'p99 ms a / b / c', 'CPU ms/req gate (b) / pipe (c)', 'load'], rows),
    ...(invalid > 0 ? ['', `${invalid} run(s) had errors or short answers and are left out (see the JSON).`] : []),
    '',
  ];
}

function memorySection(results: BenchResults): string[] {
  const memory = results.memory;
  if (!memory) return [];
  const rows = memory.runs.map((run) => [
    run.variant === 'gate' ? '(b) proxy-server' : '(c) pipe proxy',
    n(run.result.requestsPerSecond),
    n(run.result.mibPerSecond, 0),
    n(run.rssBeforeMiB),
    n(run.rssPeakMiB),
    run.anonPeakMiB === undefined ? '' : n(run.anonPeakMiB),
    n(run.rssDriftMiB),
    n(run.cpuMsPerRequest, 3),
    run.loadAverage1m,
  ]);
  const s = memory.summary;
  return [
    `### 2. Gate memory and CPU (8 MiB frames, ${memory.runs[0]?.result.durationS.toFixed(0) ?? '?'} s at 64 connections)`,
    '',
    table(['Node process under load', 'req/s', 'MiB/s', 'RSS before MiB', 'RSS peak MiB', 'of it anonymous, peak MiB', 'RSS drift MiB', 'CPU ms/request', 'load'], rows),
    '',
    `CPU per request: pipe ÷ gate = **${n(s.cpuRatioPipeToGate)}×**. Drift is the median of the last 5 s minus that of the first 5 s. ` +
      'Anonymous (RssAnon) is the process\'s own memory; the rest of RSS is file-backed (Node\'s executable and libraries mapped from disk, shared with other processes).',
    '',
  ];
}

function decisionsSection(results: BenchResults): string[] {
  const decisions = results.decisions;
  if (!decisions) return [];
  const s = decisions.summary;
  const closed = (['gate-port', 'nginx-gate', 'nginx-direct'] as const).map((path) => {
    const runs = decisions.runs.filter((run) => run.path === path);
    const answers = runs.reduce((sum, run) => sum + run.result.requests, 0);
    const rows = runs.reduce((sum, run) => sum + run.auditRows, 0);
    return [
      path,
      `${n(path === 'gate-port' ? s.gatePortPerSecond : path === 'nginx-gate' ? s.nginxGatePerSecond : s.nginxDirectPerSecond, 0)}`,
      range(runs.map((run) => run.result.latencyMs.p50)),
      range(runs.map((run) => run.result.latencyMs.p99)),
      `${rows} / ${answers}`,
      range(runs.map((run) => run.loadAverage1m)),
    ];
  });
  return [
    `### 3. Audited decisions (${s.resource === 'frame' ? 'HTJ2K frame GET' : '`GET studies/{uid}/series`'}, admin token; SQLite WAL, synchronous=FULL)`,
    '',
    `Closed loop, wrk, ${s.connections} connections. Every answered decision has its audit row committed before the answer: rows counted in the database around each run.`,
    '',
    table(['path', 'decisions/s (median)', 'p50 ms', 'p99 ms', 'audit rows / answers', 'load'], closed),
    '',
    `Gate CPU per decision at the gate port: ${n(s.gateCpuMsPerDecision, 3)} ms.`,
    '',
  ];
}

function latencySection(results: BenchResults): string[] {
  const latency = results.latency;
  if (!latency) return [];
  const rows = latency.summary.flatMap((row) =>
    (['gate-port', 'nginx-gate', 'nginx-direct'] as const).map((path) => {
      const runs = latency.runs.filter((run) => run.rate === row.rate && run.path === path);
      const f = row.byPath[path];
      return [
        row.rate,
        path,
        n(f.achievedRate),
        n(f.p50, 2),
        n(f.p99, 2),
        runs.reduce((sum, run) => sum + run.result.errors + run.result.dropped, 0),
        path === 'nginx-gate' ? `**p50 +${n(row.addedP50Ms, 2)}, p99 +${n(row.addedP99Ms, 2)}**${row.sustained ? '' : ' (rate not sustained)'}` : '',
        range(runs.map((run) => run.loadAverage1m)),
      ];
    }),
  );
  return [
    '### 3b. Latency the gate adds (HTJ2K frame GET, open loop at fixed rates)',
    '',
    "Request *i* is sent at *i*/rate s whatever earlier answers do; latency runs from each request's due time to its last byte. " +
      'Added = (nginx → gate → Orthanc) − (nginx → Orthanc) within a round, median over rounds.',
    '',
    table(['req/s', 'path', 'achieved /s', 'p50 ms', 'p99 ms', 'errors + dropped', 'added by the gate, ms', 'load'], rows),
    '',
  ];
}

function profileSection(results: BenchResults): string[] {
  const profile = results.profile;
  if (!profile) return [];
  const entries = (list: ReadonlyArray<{ name: string; percent: number }>, count: number): string =>
    list
      .slice(0, count)
      .map((e) => `${e.percent}% ${e.name.replace(/\|/g, '\\|')}`)
      .join('; ');
  return [
    `### Gate profile (\`node --cpu-prof\`, decisions at the gate port, ${profile.result.requestsPerSecond} /s under the profiler)`,
    '',
    `- By area: ${entries(profile.summary.byArea, 8)}`,
    `- Self time: ${entries(profile.summary.topSelf, 8)}`,
    `- Gate functions, inclusive (synchronous stacks only): ${entries(profile.summary.gateInclusive, 6)}`,
    ...(profile.rssAtStartMiB === undefined
      ? []
      : [`- RSS of the profiled gate right after start (answering, no request yet): ${n(profile.rssAtStartMiB)} MiB, of it anonymous ${n(profile.anonAtStartMiB ?? Number.NaN)} MiB`]),
    '',
  ];
}

function breakdownSection(results: BenchResults): string[] {
  const breakdown = results.breakdown;
  if (!breakdown) return [];
  return [
    `### What one decision costs (proxy-server functions in-process on a copy of the registry; load ${breakdown.loadAverage1m})`,
    '',
    table(
      ['step', 'operations', 'in flight', 'CPU µs/op', 'wall µs/op'],
      breakdown.steps.map((s) => [s.step, s.operations, s.concurrency, n(s.cpuMicros, 1), n(s.wallMicros, 1)]),
    ),
    '',
  ];
}

function htj2kSection(results: BenchResults): string[] {
  const htj2k = results.htj2k;
  if (!htj2k) return [];
  const rows = htj2k.encodings.map((e) => [
    e.transferSyntaxUid,
    n(e.bytesPerSlice / 1024, 1),
    n(e.fullDecodeMs, 2),
    n(e.previewDecodeMs, 2),
    e.previewPrefixShare === null ? 'none (one tile-part)' : `${n(e.previewPrefixShare * 100, 1)} %${e.previewPrefixExact ? '' : ' (not exact)'}`,
  ]);
  return [
    `### HTJ2K encodings (${htj2k.slices} slices of the demo CT phantom, ${htj2k.width}×${htj2k.height}; OpenJPH WASM in Node, one thread)`,
    '',
    `.201: LRCP, one tile-part; .202: RPCL, TLM, a tile-part per resolution. Preview: the resolutions up to 1/${2 ** htj2k.previewLevel} of each side (the viewer's first-image preview). ` +
      "Preview's bytes: the leading tile-parts that carry those resolutions, as a share of the codestream (found from markers alone), decoded on their own.",
    '',
    table(['transfer syntax', 'KiB a slice', 'full decode ms (median)', 'preview decode ms (median)', "preview's bytes"], rows),
    '',
  ];
}

function viewerSection(results: BenchResults): string[] {
  const viewer = results.viewer;
  if (!viewer) return [];
  if (!viewer.measured) return ['### 4. Viewer', '', `Not yet measured: ${viewer.reason}.`, ''];
  const rows = viewer.runs.map((run) => [
    `${run.rendering} (${run.renderingMode ?? '?'})`,
    run.repetition,
    run.slices ?? viewer.slices,
    run.state,
    run.opening.firstPreviewMs == null ? '–' : n(run.opening.firstPreviewMs, 0),
    n(run.opening.firstImageMs, 0),
    n(run.opening.seriesDecodedMs, 0),
    run.opening.decodeFloorMs == null ? '–' : `${n(run.opening.decodeFloorMs, 0)} (${run.opening.decodeWorkers} workers, ${run.opening.cores} cores)`,
    run.opening.shownToFloor == null ? '–' : n(run.opening.shownToFloor, 2),
    run.opening.mainThreadMsPerSlice == null ? '–' : n(run.opening.mainThreadMsPerSlice, 1),
    run.opening.mainThreadCpuMsPerSlice == null ? '–' : `${n(run.opening.mainThreadCpuMsPerSlice, 1)} / ${n(run.opening.workerCpuMsPerSlice ?? Number.NaN, 1)}`,
    n(run.opening.lastMetadataResponseMs, 0),
    `${n(run.opening.firstFrameRequestMs, 0)}–${n(run.opening.firstFrameResponseMs, 0)}`,
    `${n(run.opening.shownFrameRequestMs, 0)}–${n(run.opening.shownFrameResponseMs, 0)}`,
    n(run.opening.lastFrameResponseMs, 0),
    decodeCell(run.opening.decode ?? null),
    run.loadAverage1m,
  ]);
  return [
    `### 4. Viewer (Chromium, headless, no GPU; ${viewer.slices}-slice HTJ2K lossless series${viewer.series512 ? `, and a ${viewer.series512.slices}-slice thin-slice one warm` : ''})`,
    '',
    'Times from setting `#/studies/<uid>` in the signed-in web app, fresh browser context each. Cold: first study after login (codec WASM compiled on the way); ' +
      'warm: after another study was shown and fully loaded; switch: as soon as another study showed its first image (its prefetch still running). ' +
      "Shown: every slice of the series loaded and decoded. Decode floor: the sum of Cornerstone's decodeTimeInMS over the series, divided by the decode workers that can run at once (at most one per core); " +
      'Preview: the first image drawn from its reduced-resolution decode (HTJ2K), before the full image. ' +
      "main thread busy: Chromium's TaskDuration of the page during the opening, per slice (wall time: it grows when other work takes the cores); " +
      "CPU: the page's renderer process's main thread and its decode workers, from /proc, per slice.",
    '',
    table(['rendering', 'rep', 'slices', 'state', 'preview ms', 'first image ms', 'series shown ms', 'decode floor ms', 'shown ÷ floor', 'main thread busy ms/slice', 'CPU ms/slice: main thread / decode workers', 'metadata done ms', 'first frame ms (sent–received)', 'shown frame ms (sent–received)', 'last frame received ms', 'decode ms/frame (median / p90)', 'load'], rows),
    '',
    (viewer.summary.warm.firstPreviewMs == null ? '' : `Medians of the first preview: cold ${viewer.summary.cold.firstPreviewMs ?? '–'} ms, warm ${viewer.summary.warm.firstPreviewMs} ms with WebGL. `) +
    `Medians (first image / series decoded): cold ${viewer.summary.cold.firstImageMs} / ${viewer.summary.cold.seriesDecodedMs} ms, ` +
      `warm ${viewer.summary.warm.firstImageMs} / ${viewer.summary.warm.seriesDecodedMs} ms (${viewer.summary.warm.msPerSlice} ms per slice), ` +
      `switch ${viewer.summary.switch.firstImageMs} / ${viewer.summary.switch.seriesDecodedMs} ms with WebGL (SwiftShader)` +
      (viewer.cpuRendering
        ? `; CPU rendering: cold ${viewer.cpuRendering.cold.firstImageMs} / ${viewer.cpuRendering.cold.seriesDecodedMs} ms, warm ${viewer.cpuRendering.warm.firstImageMs} / ${viewer.cpuRendering.warm.seriesDecodedMs} ms, ` +
          `switch ${viewer.cpuRendering.switch.firstImageMs} / ${viewer.cpuRendering.switch.seriesDecodedMs} ms`
        : '') +
      '. ' +
      (viewer.decodeTimePerFrame
        ? `HTJ2K decode time per frame (Cornerstone's decodeTimeInMS, in the web worker): median ${viewer.decodeTimePerFrame.medianMs} ms, ` +
          `p90 ${viewer.decodeTimePerFrame.p90Ms} ms over ${viewer.decodeTimePerFrame.frames} frames; warm with WebGL ${decodeCell(viewer.summary.warm.decode ?? null)} ms.`
        : "Cornerstone's per-frame decode time was not reported by this build of the viewer."),
    '',
    ...(viewer.summary.warm.shownToFloor != null
      ? [
          `Warm with WebGL, medians: ${viewer.slices} slices shown in ${viewer.summary.warm.seriesDecodedMs} ms = ${viewer.summary.warm.shownToFloor} × the decode floor (${viewer.summary.warm.decodeFloorMs} ms), ` +
            `main thread ${viewer.summary.warm.mainThreadMsPerSlice} ms busy and ${viewer.summary.warm.mainThreadCpuMsPerSlice ?? '?'} ms CPU per slice against ${viewer.summary.warm.workerCpuMsPerSlice ?? '?'} ms of the decode workers` +
            (viewer.series512
              ? `; ${viewer.series512.slices} slices shown in ${viewer.series512.webgl.seriesDecodedMs} ms = ${viewer.series512.webgl.shownToFloor} × its floor (${viewer.series512.webgl.decodeFloorMs} ms), ` +
                `main thread ${viewer.series512.webgl.mainThreadMsPerSlice} ms per slice (CPU rendering: ${viewer.series512.cpu.seriesDecodedMs} ms = ${viewer.series512.cpu.shownToFloor} × ${viewer.series512.cpu.decodeFloorMs} ms)`
              : '') +
            '.',
          '',
        ]
      : []),
  ];
}

const decodeCell = (decode: DecodeSummary | null): string => (decode ? `${n(decode.medianMs, 1)} / ${n(decode.p90Ms, 0)}` : '–');

/** The section `npm run bench` appends to RESULTS.md for one run. */
export function resultsSection(results: BenchResults, files: { json: string; svg: string | null }): string {
  const checks = checkTargets(results);
  const mark = (met: boolean | null): string => (met === null ? '–' : met ? 'met' : '**missed**');
  return [
    `## Run ${results.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`,
    '',
    ...machineLines(results),
    `- Raw figures: [${files.json}](${files.json})${files.svg ? `; chart: [${files.svg}](${files.svg})` : ''}`,
    '',
    ...(files.svg ? [`![throughput ratios and RSS](${files.svg})`, ''] : []),
    table(['target', 'this run', ''], checks.map((c) => [c.target, c.figure, mark(c.met)])),
    '',
    ...overheadSection(results),
    ...memorySection(results),
    ...decisionsSection(results),
    ...latencySection(results),
    ...profileSection(results),
    ...breakdownSection(results),
    ...viewerSection(results),
    ...htj2kSection(results),
    ...cacheSection(results),
    ...soakSection(results),
  ].join('\n');
}
