/**
 * What the viewer does with a measurement chosen in the list or by key: select it and show its
 * slice, in its own series if another one is shown.
 */
import { selectMeasurement } from '../imaging/measurement-annotations.ts';
import { measurementStore } from '../imaging/measurement-store.ts';
import { imageIndexOf, type MeasurementRecord } from '../imaging/measurements.ts';
import type { StackViewer } from '../imaging/stack-viewer.ts';

/**
 * Selects the measurement and scrolls to its slice; when it is on another series than the one
 * shown, returns that series and slice for the caller to show (null otherwise).
 */
export function goToMeasurement(viewer: StackViewer, record: MeasurementRecord, seriesShown: string | null): { seriesInstanceUid: string; imageIndex: number } | null {
  selectMeasurement(record.id);
  const imageIndex = imageIndexOf(viewer.imageIdsOf(record.seriesInstanceUid), record);
  if (imageIndex === null) return null;
  if (seriesShown === record.seriesInstanceUid) {
    viewer.scrollTo(imageIndex);
    return null;
  }
  return { seriesInstanceUid: record.seriesInstanceUid, imageIndex };
}

/** The measurement after the selected one on the shown series (by slice, then as drawn), wrapping round. */
export function nextMeasurementOf(viewer: StackViewer, seriesInstanceUid: string): MeasurementRecord | null {
  const imageIds = viewer.imageIdsOf(seriesInstanceUid);
  const { records, selectedId } = measurementStore.snapshot;
  const onSeries = records
    .filter((r) => r.seriesInstanceUid === seriesInstanceUid)
    .map((record) => ({ record, imageIndex: imageIndexOf(imageIds, record) ?? Infinity }))
    .sort((a, b) => a.imageIndex - b.imageIndex)
    .map((e) => e.record);
  if (onSeries.length === 0) return null;
  const current = onSeries.findIndex((r) => r.id === selectedId);
  return onSeries[(current + 1) % onSeries.length] ?? null;
}
