import { setTimeout as sleep } from 'node:timers/promises';
import { FRAME_ACCEPT } from '@reading-station/contract';
import type { RunningPipeProxy } from '../baseline/start-pipe-proxy.ts';
import { cpuSeconds, groupCpuSeconds, withChildren } from '../proc.ts';
import { VARIANT_PREFIX, type BenchNginx, type Variant } from '../stack/bench-nginx.ts';
import type { BenchStack, TokenSource } from '../stack/bench-stack.ts';

/** The Accept header the viewer sends for frames (the contract's): Orthanc 1.13 then returns the stored bytes. */
export { FRAME_ACCEPT };

export type PayloadName = 'htj2k-512' | 'raw-2048';

export interface FramePayload {
  name: PayloadName;
  description: string;
  /** `studies/…/frames/1`, relative to a DICOMweb root. */
  path: string;
  /** Bytes of the frame itself; an answer smaller than this was not the frame. */
  frameBytes: number;
}

export interface BenchContext {
  stack: BenchStack;
  /** The demo admin, who may see every study (the bench's large study included). */
  admin: TokenSource;
  nginx: BenchNginx;
  pipe: RunningPipeProxy;
  payloads: Record<PayloadName, FramePayload>;
  /** A study the admin may see, for small answers (its series list). */
  smallStudyUid: string;
  log(message: string): void;
}

export function variantUrl(context: BenchContext, variant: Variant, dicomWebPath: string): string {
  return `${context.nginx.baseUrl}${VARIANT_PREFIX[variant]}${dicomWebPath}`;
}

/** Request headers for every variant alike, so requests are the same size whichever path serves them. */
export async function frameHeaders(context: BenchContext, validSeconds = 120): Promise<Record<string, string>> {
  return { Authorization: `Bearer ${await context.admin.token(validSeconds)}`, Accept: FRAME_ACCEPT };
}

/** One request through `url`: status and body size, to check a variant serves what it should. */
export async function probe(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number; contentType: string }> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  const body = await response.arrayBuffer();
  return { status: response.status, bytes: body.byteLength, contentType: response.headers.get('content-type') ?? '' };
}

export interface CpuSnapshot {
  gate: number;
  pipe: number;
  nginx: number;
  orthanc: number;
}

/** CPU seconds used so far by each part; deltas around a run divided by its requests give CPU per request. */
export function cpuSnapshot(context: BenchContext): CpuSnapshot {
  const orthancPid = context.stack.file.processes.orthanc?.pid;
  return {
    gate: cpuSeconds(context.stack.gatePid),
    pipe: cpuSeconds(context.pipe.pid),
    nginx: groupCpuSeconds(withChildren(context.nginx.process.pid)),
    orthanc: orthancPid === undefined ? 0 : groupCpuSeconds([orthancPid]),
  };
}

/** Milliseconds of CPU per request for each part between two snapshots. */
export function cpuPerRequestMs(before: CpuSnapshot, after: CpuSnapshot, requests: number): CpuSnapshot {
  const per = (key: keyof CpuSnapshot): number =>
    requests > 0 ? Math.round(((after[key] - before[key]) * 1000 * 1000) / requests) / 1000 : Number.NaN;
  return { gate: per('gate'), pipe: per('pipe'), nginx: per('nginx'), orthanc: per('orthanc') };
}

/**
 * Waits until Orthanc is idle (under 10 % of a core over 300 ms), at most `maxSeconds`. A closed-loop
 * run that ends leaves requests Orthanc already accepted (up to 128 frames of 8 MiB); without this,
 * whichever variant runs next would pay for them.
 */
export async function settle(context: BenchContext, maxSeconds = 30): Promise<number> {
  const orthancPid = context.stack.file.processes.orthanc?.pid;
  const started = performance.now();
  if (orthancPid === undefined) return 0;
  while (performance.now() - started < maxSeconds * 1000) {
    const before = groupCpuSeconds([orthancPid]);
    await sleep(300);
    if (groupCpuSeconds([orthancPid]) - before < 0.03) break;
  }
  return Math.round(performance.now() - started) / 1000;
}

/** The order of the variants in round `round`: rotated, so none always runs first or last. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
