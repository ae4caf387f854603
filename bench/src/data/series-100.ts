import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDatabase, importIntoOrthanc, incompleteImport } from '@reading-station/proxy-server';
import {
  HTJ2K_ENCODE_OPTIONS,
  ctImageFile,
  demoCohort,
  encodeHtj2k,
  phantomSlice,
  uidFromName,
  type DemoPatient,
  type DemoSeries,
  type DemoStudy,
} from '@reading-station/demo-data';
import type { BenchStack } from '../stack/bench-stack.ts';

export const SERIES_100_SLICES = 100;
export const SERIES_512_SLICES = 512;
/** The thin-slice series' slice thickness and spacing: 512 slices cover 320 mm, a whole thorax and upper abdomen. */
export const THIN_SLICE_MM = 0.625;

/** What tells one bench series from another; everything else is the first demo series'. */
export interface BenchSeriesSpec {
  /** Names the UIDs and the cache directory: the same on every run. */
  key: string;
  slices: number;
  /** Slice thickness and spacing; the demo series' own when absent. */
  sliceMm?: number;
  patient: Pick<DemoPatient, 'patientId' | 'patientName'>;
  accessionNumber: string;
  studyId: string;
  studyDescription: string;
  seriesDescription: string;
}

/**
 * A 100-slice HTJ2K lossless CT series (the viewer target names 100 slices; the demo's longest
 * series has 80).
 */
export const SERIES_100: BenchSeriesSpec = {
  key: 'series-100',
  slices: SERIES_100_SLICES,
  patient: { patientId: 'RS-BENCH-0002', patientName: 'Bench^Hundred Slices' },
  accessionNumber: 'BENCH-100',
  studyId: 'BENCH100',
  studyDescription: 'Bench: 100-slice HTJ2K series',
  seriesDescription: 'Bench thorax 100 slices',
};

/** A thin-slice CT of 512 slices of 0.625 mm, the size of series a radiologist reads today. */
export const SERIES_512: BenchSeriesSpec = {
  key: 'series-512',
  slices: SERIES_512_SLICES,
  sliceMm: THIN_SLICE_MM,
  patient: { patientId: 'RS-BENCH-0003', patientName: 'Bench^Thin Slices' },
  accessionNumber: 'BENCH-512',
  studyId: 'BENCH512',
  studyDescription: 'Bench: 512-slice thin-slice HTJ2K series',
  seriesDescription: 'Bench thorax 0.625mm 512 slices',
};

/**
 * A bench series: the first demo series' phantom, continued for `spec.slices` slices (thinner
 * when `spec.sliceMm` says so), under a study and patient of its own so the demo data stays as it is.
 */
export function benchSeries(spec: BenchSeriesSpec): { patient: DemoPatient; study: DemoStudy; series: DemoSeries } {
  const base = demoCohort().studies[0];
  const baseSeries = base?.series[0];
  if (!base || !baseSeries) throw new Error('the demo cohort has no series');
  const sliceMm = spec.sliceMm ?? baseSeries.sliceThicknessMm;
  const series: DemoSeries = {
    ...baseSeries,
    seriesInstanceUid: uidFromName(`reading-station/bench/${spec.key}/series`),
    seriesNumber: 1,
    seriesDescription: spec.seriesDescription,
    sliceCount: spec.slices,
    sliceThicknessMm: sliceMm,
    phantom: { ...baseSeries.phantom, sliceSpacingMm: sliceMm },
  };
  const patient: DemoPatient = { ...spec.patient, birthDate: '19700101', sex: 'O', username: 'admin' };
  const study: DemoStudy = {
    ...base,
    studyInstanceUid: uidFromName(`reading-station/bench/${spec.key}/study`),
    patientId: patient.patientId,
    accessionNumber: spec.accessionNumber,
    studyId: spec.studyId,
    studyDescription: spec.studyDescription,
    frameOfReferenceUid: uidFromName(`reading-station/bench/${spec.key}/frame-of-reference`),
    series: [series],
  };
  return { patient, study, series };
}

/** The 100-slice series (kept by this name: the cache benchmark loads it too). */
export function series100(): { patient: DemoPatient; study: DemoStudy; series: DemoSeries } {
  return benchSeries(SERIES_100);
}

/**
 * Writes a bench series' files once (cached in `dataDir/<key>`, reporting progress while it
 * encodes) and imports them into Orthanc and the registry.
 */
export async function ensureBenchSeries(
  stack: BenchStack,
  dataDir: string,
  spec: BenchSeriesSpec,
  log: (line: string) => void = () => undefined,
): Promise<{ studyInstanceUid: string; seriesInstanceUid: string; slices: number }> {
  const { patient, study, series } = benchSeries(spec);
  const dir = path.join(dataDir, spec.key);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  let encoded = 0;
  const started = Date.now();
  for (let slice = 0; slice < series.sliceCount; slice++) {
    const file = path.join(dir, `${String(slice + 1).padStart(4, '0')}.dcm`);
    if (!existsSync(file)) {
      const pixels = phantomSlice(series.phantom, slice);
      const codestream = encodeHtj2k({ width: series.phantom.columns, height: series.phantom.rows, pixels }, HTJ2K_ENCODE_OPTIONS[series.transferSyntaxUid]);
      writeFileSync(file, ctImageFile(patient, study, series, slice, codestream));
      encoded++;
      if (encoded % 64 === 0) log(`${spec.key}: encoded ${slice + 1}/${series.sliceCount} slices (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    files.push(file);
  }
  if (encoded > 0) log(`${spec.key}: ${encoded} slices encoded into ${dir} in ${Math.round((Date.now() - started) / 1000)} s`);
  const db = createDatabase({ client: 'sqlite', filename: stack.file.gate.database });
  try {
    const result = await importIntoOrthanc({
      files,
      orthanc: { baseUrl: stack.orthanc.baseUrl, username: stack.orthanc.username, password: stack.orthanc.password },
      db,
      concurrency: 4,
      onUpload: ({ done, total }) => {
        if (done % 128 === 0 && total > SERIES_100_SLICES) log(`${spec.key}: ${done}/${total} files in Orthanc`);
      },
      // The stack's gate records the study once Orthanc calls it stable; a long series takes longer to send.
      timeoutMs: 120_000 + 200 * files.length,
    });
    const problem = incompleteImport(result);
    if (problem !== undefined) throw new Error(`could not import: ${problem}`);
  } finally {
    await db.destroy();
  }
  return { studyInstanceUid: study.studyInstanceUid, seriesInstanceUid: series.seriesInstanceUid, slices: series.sliceCount };
}

/** Writes the 100-slice series' files once (cached in `dataDir`) and imports them into Orthanc and the registry. */
export async function ensureSeries100(stack: BenchStack, dataDir: string): Promise<{ studyInstanceUid: string; seriesInstanceUid: string }> {
  return ensureBenchSeries(stack, dataDir, SERIES_100);
}
