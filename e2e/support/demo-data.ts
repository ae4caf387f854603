/**
 * The generated demo dataset the stack imported: its cohort (with each series' phantom spec) and
 * the exact stored pixels of any slice, `phantomSlice(spec, sliceIndex)`.
 */
import { loadStackConfig } from '@reading-station/stack';
import { phantomSlice, readDemoManifest, type DemoManifest, type DemoSeries, type DemoStudy } from '@reading-station/demo-data';

export async function readDemoDataset(): Promise<DemoManifest> {
  const { demoCacheDir } = loadStackConfig();
  const manifest = await readDemoManifest(demoCacheDir);
  if (!manifest) throw new Error(`no demo dataset in ${demoCacheDir}; start the stack once to generate it`);
  return manifest;
}

export function demoStudy(manifest: DemoManifest, studyInstanceUid: string): DemoStudy {
  const study = manifest.cohort.studies.find((s) => s.studyInstanceUid === studyInstanceUid);
  if (!study) throw new Error(`study ${studyInstanceUid} is not in the demo dataset`);
  return study;
}

/** Image positions that cross the padding, air, fat, soft tissue, lung and bone of a slice. */
export function samplePoints(step = 24): Array<{ x: number; y: number }> {
  const points: Array<{ x: number; y: number }> = [];
  for (let y = 4; y < 512; y += step) for (let x = 4; x < 512; x += step) points.push({ x, y });
  return points;
}

/** The stored values the generator wrote at those positions. */
export function expectedStoredValues(series: DemoSeries, sliceIndex: number, points: ReadonlyArray<{ x: number; y: number }>): number[] {
  const pixels = phantomSlice(series.phantom, sliceIndex);
  return points.map(({ x, y }) => pixels[y * series.phantom.columns + x] as number);
}
