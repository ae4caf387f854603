/**
 * Cornerstone's annotations and the measurement store kept in step: a measurement drawn, moved
 * or removed on any viewport becomes a record in the store (measurement-store.ts); selecting or
 * deleting one from the list or by key goes back to Cornerstone, so the image and the list always
 * show the same set. Cornerstone's annotation state is global (it survives the viewport, which is
 * why a reopened study still shows its measurements); the store's `clear()` empties it too.
 */
import * as core from '@cornerstonejs/core';
import * as tools from '@cornerstonejs/tools';
import { measurementStore, type MeasurementStore } from './measurement-store.ts';
import { calibratedValues } from './calibration.ts';
import { imageKeyOf, MEASUREMENT_TOOL_KINDS, textLinesFor, valuesFromStats, type MeasurementRecord, type MeasurementValues } from './measurements.ts';

type Annotation = tools.Types.Annotation;

/**
 * The record of a finished measurement annotation; null for anything else or while incomplete.
 * Its values are Cornerstone's, in the series' calibration when the user made one.
 */
export function recordOfAnnotation(annotation: Annotation, store: MeasurementStore = measurementStore): MeasurementRecord | null {
  const toolName = annotation.metadata?.toolName ?? '';
  const imageId = annotation.metadata?.referencedImageId;
  const id = annotation.annotationUID;
  if (!id || !imageId || !(toolName in MEASUREMENT_TOOL_KINDS)) return null;
  const key = imageKeyOf(imageId);
  const raw = valuesFromStats(toolName, annotation.data?.cachedStats);
  if (!key || !raw) return null;
  const values = calibratedValues(raw, store.calibrationOf(key.seriesInstanceUid));
  const points = (annotation.data?.handles?.points ?? []).map((p) => [Number(p[0]), Number(p[1]), Number(p[2])] as [number, number, number]);
  return { id, ...key, points, values };
}

/** Cornerstone's values of a measurement on `imageId` in its series' calibration, if any. */
function inCalibration(values: MeasurementValues, imageId: string): MeasurementValues {
  const series = imageKeyOf(imageId)?.seriesInstanceUid;
  return series ? calibratedValues(values, measurementStore.calibrationOf(series)) : values;
}

/** Tool configuration that makes Cornerstone word a measurement as the list does. */
export function measurementToolConfiguration(toolName: string): Record<string, unknown> {
  return { getTextLines: textLinesFor(toolName, inCalibration) };
}

let connected = false;

/** Follows Cornerstone's annotation events into the store; once per app, after tools' `init`. */
export function connectMeasurementStore(store: MeasurementStore = measurementStore): void {
  if (connected) return;
  connected = true;
  const { Events } = tools.Enums;
  const put = (event: Event): void => {
    const annotation = (event as CustomEvent<{ annotation?: Annotation }>).detail.annotation;
    const record = annotation ? recordOfAnnotation(annotation, store) : null;
    if (record) store.put(record);
  };
  core.eventTarget.addEventListener(Events.ANNOTATION_COMPLETED, put);
  core.eventTarget.addEventListener(Events.ANNOTATION_MODIFIED, put);
  core.eventTarget.addEventListener(Events.ANNOTATION_REMOVED, (event: Event) => {
    const id = (event as CustomEvent<{ annotation?: Annotation }>).detail.annotation?.annotationUID;
    if (id) store.remove(id);
  });
  core.eventTarget.addEventListener(Events.ANNOTATION_SELECTION_CHANGE, (event: Event) => {
    const selection = (event as CustomEvent<{ selection?: string[] }>).detail.selection ?? [];
    store.select(selection.at(-1) ?? null);
  });
  // A series calibrated or no longer: each of its measurements, on whatever slice, is made again
  // from Cornerstone's own values (which a calibration never changes) and drawn with the new words.
  store.onCalibration((seriesInstanceUid) => {
    for (const annotation of tools.annotation.state.getAllAnnotations()) {
      const imageId = annotation.metadata?.referencedImageId;
      if (!imageId || imageKeyOf(imageId)?.seriesInstanceUid !== seriesInstanceUid) continue;
      const record = recordOfAnnotation(annotation, store);
      if (record) store.put(record);
    }
    redrawAnnotations();
  });
  store.onClear(() => {
    tools.annotation.selection.deselectAnnotation();
    tools.annotation.state.removeAllAnnotations();
    redrawAnnotations();
  });
}

/** Selects a measurement (Cornerstone highlights it) or nothing. */
export function selectMeasurement(id: string | null, store: MeasurementStore = measurementStore): void {
  if (id === null) tools.annotation.selection.deselectAnnotation();
  else tools.annotation.selection.setAnnotationSelected(id, true, false);
  store.select(id);
  redrawAnnotations();
}

/** Deletes a measurement from the image and the list. */
export function deleteMeasurement(id: string, store: MeasurementStore = measurementStore): void {
  tools.annotation.selection.setAnnotationSelected(id, false);
  tools.annotation.state.removeAnnotation(id);
  store.remove(id);
  redrawAnnotations();
}

function redrawAnnotations(): void {
  for (const engine of core.getRenderingEngines() ?? []) {
    const viewportIds = engine.getViewports().map((viewport) => viewport.id);
    if (viewportIds.length > 0) tools.utilities.triggerAnnotationRenderForViewportIds(viewportIds);
  }
}

/**
 * The measurement drawn within a few pixels of a point of a viewport element (CSS pixels from its
 * top-left corner), or null: what a right-click on the image is about.
 */
export function measurementNear(element: HTMLDivElement, x: number, y: number, store: MeasurementStore = measurementStore): string | null {
  const id = tools.utilities.getAnnotationNearPoint(element, [x, y], 8)?.annotationUID;
  return id && store.get(id) ? id : null;
}
