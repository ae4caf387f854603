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

/**
 * A 100-slice HTJ2K lossless CT series (the viewer target names 100 slices; the demo's longest
 * series has 80): the first demo series' phantom, continued for 100 slices, under a study and
 * patient of its own so the demo data stays as it is.
 */
export function series100(): { patient: DemoPatient; study: DemoStudy; series: DemoSeries } {
  const base = demoCohort().studies[0];
  const baseSeries = base?.series[0];
  if (!base || !baseSeries) throw new Error('the demo cohort has no series');
  const series: DemoSeries = {
    ...baseSeries,
    seriesInstanceUid: uidFromName('reading-station/bench/series-100/series'),
    seriesNumber: 1,
    seriesDescription: 'Bench thorax 100 slices',
    sliceCount: SERIES_100_SLICES,
  };
  const patient: DemoPatient = { patientId: 'RS-BENCH-0002', patientName: 'Bench^Hundred Slices', birthDate: '19700101', sex: 'O', username: 'admin' };
  const study: DemoStudy = {
    ...base,
    studyInstanceUid: uidFromName('reading-station/bench/series-100/study'),
    patientId: patient.patientId,
    accessionNumber: 'BENCH-100',
    studyId: 'BENCH100',
    studyDescription: 'Bench: 100-slice HTJ2K series',
    frameOfReferenceUid: uidFromName('reading-station/bench/series-100/frame-of-reference'),
    series: [series],
  };
  return { patient, study, series };
}

/** Writes the series' files once (cached in `dataDir`) and imports them into Orthanc and the registry. */
export async function ensureSeries100(stack: BenchStack, dataDir: string): Promise<{ studyInstanceUid: string; seriesInstanceUid: string }> {
  const { patient, study, series } = series100();
  const dir = path.join(dataDir, 'series-100');
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let slice = 0; slice < series.sliceCount; slice++) {
    const file = path.join(dir, `${String(slice + 1).padStart(4, '0')}.dcm`);
    if (!existsSync(file)) {
      const pixels = phantomSlice(series.phantom, slice);
      const codestream = encodeHtj2k({ width: series.phantom.columns, height: series.phantom.rows, pixels }, HTJ2K_ENCODE_OPTIONS[series.transferSyntaxUid]);
      writeFileSync(file, ctImageFile(patient, study, series, slice, codestream));
    }
    files.push(file);
  }
  const db = createDatabase({ client: 'sqlite', filename: stack.file.gate.database });
  try {
    const result = await importIntoOrthanc({
      files,
      orthanc: { baseUrl: stack.orthanc.baseUrl, username: stack.orthanc.username, password: stack.orthanc.password },
      db,
      concurrency: 4,
      // The stack's gate records the study once Orthanc calls it stable.
      timeoutMs: 120_000,
    });
    const problem = incompleteImport(result);
    if (problem !== undefined) throw new Error(`could not import: ${problem}`);
  } finally {
    await db.destroy();
  }
  return { studyInstanceUid: study.studyInstanceUid, seriesInstanceUid: series.seriesInstanceUid };
}
