import type { AddedLatencyRow, FixedRateRun } from './benchmarks/added-latency.ts';
import type { DecisionRun, DecisionSummary } from './benchmarks/audited-decisions.ts';
import type { FramePayload, PayloadName } from './benchmarks/context.ts';
import type { MemoryRun, MemorySummary } from './benchmarks/gate-memory.ts';
import type { BatchedSeriesRun, BatchedSeriesSummary, CacheRun, CacheSummaryRow, SeriesRun, SeriesSummary } from './benchmarks/nginx-cache.ts';
import type { OverheadRun, OverheadSummaryRow } from './benchmarks/gate-overhead.ts';
import type { SoakResult } from './benchmarks/soak.ts';
import type { Htj2kProgressionResult } from './benchmarks/htj2k-progression.ts';
import type { ViewerResult } from './benchmarks/viewer.ts';
import type { MachineInfo } from './machine.ts';
import type { DecisionBreakdown } from './profile/decision-breakdown.ts';
import type { GateProfile } from './profile/profile-gate.ts';

/** Everything one `npm run bench` measured: written whole to bench/results/<date>.json. */
export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  quick: boolean;
  machine: MachineInfo;
  loadAverageAtStart: number;
  payloads: Record<PayloadName, FramePayload>;
  overhead?: { runs: OverheadRun[]; summary: OverheadSummaryRow[] };
  memory?: { runs: MemoryRun[]; summary: MemorySummary };
  decisions?: { runs: DecisionRun[]; summary: DecisionSummary };
  latency?: { runs: FixedRateRun[]; summary: AddedLatencyRow[] };
  profile?: GateProfile;
  breakdown?: DecisionBreakdown;
  viewer?: ViewerResult;
  /** The demo's two HTJ2K encodings compared (absent from runs made before it was measured). */
  htj2k?: Htj2kProgressionResult;
  /** series: whole-series loads, absent from runs made before they were measured. */
  cache?: {
    runs: CacheRun[];
    summary: CacheSummaryRow[];
    series?: { runs: SeriesRun[]; summary: SeriesSummary; batched?: { runs: BatchedSeriesRun[]; summary: BatchedSeriesSummary } };
  };
  soak?: SoakResult;
}
