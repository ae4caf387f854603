import type { BenchResults } from '../results.ts';

/** 120 MB (decimal, as the target is written) in MiB, the unit RSS is reported in. */
export const RSS_LIMIT_MIB = (120 * 1e6) / 2 ** 20;

export interface TargetCheck {
  target: string;
  figure: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

const notMeasured = (target: string, why = 'not measured in this run'): TargetCheck => ({ target, figure: why, met: null });

/** A series shown against its decode floor (Cornerstone's decode times over the workers that run at once). */
function floorCheck(target: string, opening: { seriesDecodedMs: number; decodeFloorMs: number | null; shownToFloor: number | null }): TargetCheck {
  if (opening.shownToFloor === null || opening.decodeFloorMs === null) return notMeasured(target, 'the viewer reported no decode times');
  return {
    target,
    figure: `${(opening.seriesDecodedMs / 1000).toFixed(2)} s = ${opening.shownToFloor} × ${(opening.decodeFloorMs / 1000).toFixed(2)} s`,
    met: opening.shownToFloor <= 1.25,
  };
}

/** The issue's targets against this run's figures (medians over rounds, ratios within rounds). */
export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const htj2k32 = results.overhead?.summary.find((row) => row.payload === 'htj2k-512' && row.connections === 32);
  checks.push(
    htj2k32
      ? { target: '(b)/(a) ≥ 0.9 at 32 connections, HTJ2K frames', figure: `${htj2k32.ratioGateToDirect.toFixed(2)} (c/a ${htj2k32.ratioPipeToDirect.toFixed(2)})`, met: htj2k32.ratioGateToDirect >= 0.9 }
      : notMeasured('(b)/(a) ≥ 0.9 at 32 connections, HTJ2K frames'),
  );
  const memory = results.memory?.summary;
  if (memory) {
    checks.push({
      target: 'proxy-server RSS ≤ 120 MB and flat (8 MiB frames, 64 connections)',
      figure: `peak ${memory.gateRssPeakMiB.toFixed(1)} MiB${memory.gateAnonPeakMiB ? ` (anonymous ${memory.gateAnonPeakMiB.toFixed(1)})` : ''}, drift ${memory.gateRssDriftMiB.toFixed(1)} MiB (pipe peak ${memory.pipeRssPeakMiB.toFixed(1)} MiB)`,
      met: memory.gateRssPeakMiB <= RSS_LIMIT_MIB && Math.abs(memory.gateRssDriftMiB) <= 5,
    });
    checks.push({
      target: 'gate CPU per request ≥ 10× below the pipe (c)',
      figure: `${memory.gateCpuMsPerRequest} vs ${memory.pipeCpuMsPerRequest} ms: ${memory.cpuRatioPipeToGate}×`,
      met: memory.cpuRatioPipeToGate >= 10,
    });
  } else {
    checks.push(notMeasured('proxy-server RSS ≤ 120 MB and flat'), notMeasured('gate CPU per request ≥ 10× below the pipe (c)'));
  }
  const decisions = results.decisions?.summary;
  if (decisions) {
    checks.push({
      target: '≥ 10,000 audited decisions/s at the gate port, durable, on 2 cores',
      figure: `${decisions.gatePortPerSecond}/s at the gate port, ${decisions.nginxGatePerSecond}/s through nginx (nginx → Orthanc alone ${decisions.nginxDirectPerSecond}/s)`,
      met: decisions.gatePortPerSecond >= 10_000,
    });
    checks.push({
      target: 'gate CPU per decision at its port ≤ 0.1 ms',
      figure: `${decisions.gateCpuMsPerDecision} ms`,
      met: decisions.gateCpuMsPerDecision <= 0.1,
    });
  } else {
    checks.push(notMeasured('≥ 10,000 audited decisions/s at the gate port, durable, on 2 cores'), notMeasured('gate CPU per decision at its port ≤ 0.1 ms'));
  }
  const atStart = results.profile?.rssAtStartMiB;
  if (atStart !== undefined && memory) {
    checks.push({
      target: 'gate RSS right after start ≤ 80 MiB, peak ≤ 100 MiB',
      figure: `${atStart.toFixed(1)} MiB after start (anonymous ${(results.profile?.anonAtStartMiB ?? Number.NaN).toFixed(1)}), peak ${memory.gateRssPeakMiB.toFixed(1)} MiB`,
      met: atStart <= 80 && memory.gateRssPeakMiB <= 100,
    });
  } else {
    checks.push(notMeasured('gate RSS right after start ≤ 80 MiB, peak ≤ 100 MiB', 'needs the memory and profile benchmarks'));
  }
  const at500 = results.latency?.summary.find((row) => row.rate === 500);
  checks.push(
    at500
      ? {
          target: 'p99 added by the gate ≤ 5 ms at 500 req/s',
          figure:
            `p50 +${at500.addedP50Ms.toFixed(2)} ms, p99 +${at500.addedP99Ms.toFixed(2)} ms` +
            (at500.sustained ? '' : ` (500/s not sustained: gate path ${at500.byPath['nginx-gate'].achievedRate}/s, direct ${at500.byPath['nginx-direct'].achievedRate}/s)`),
          met: at500.sustained && at500.addedP99Ms <= 5,
        }
      : notMeasured('p99 added by the gate ≤ 5 ms at 500 req/s'),
  );
  const viewer = results.viewer;
  if (viewer?.measured) {
    const { warm, cold } = viewer.summary;
    checks.push({
      target: 'first image ≤ 250 ms warm, ≤ 800 ms cold',
      figure:
        `${warm.firstImageMs} ms warm, ${cold.firstImageMs} ms cold` +
        (warm.firstPreviewMs == null ? '' : `; its reduced-resolution preview ${warm.firstPreviewMs} ms warm, ${cold.firstPreviewMs ?? '–'} ms cold`),
      met: warm.firstImageMs <= 250 && cold.firstImageMs <= 800,
    });
    checks.push(floorCheck(`${viewer.slices} slices fully shown, warm, ≤ 1.25 × the decode floor`, warm));
    const thin = viewer.series512;
    checks.push(thin ? floorCheck(`${thin.slices}-slice series fully shown ≤ 1.25 × its decode floor`, thin.webgl) : notMeasured('512-slice series fully shown ≤ 1.25 × its decode floor'));
  } else {
    const why = viewer ? `not yet measured: ${viewer.reason}` : 'not measured in this run';
    checks.push(
      notMeasured('first image ≤ 250 ms warm, ≤ 800 ms cold', why),
      notMeasured('100 slices fully shown, warm, ≤ 1.25 × the decode floor', why),
      notMeasured('512-slice series fully shown ≤ 1.25 × its decode floor', why),
    );
  }
  return checks;
}
