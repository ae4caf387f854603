/**
 * The measurement model: plain, serialisable records keyed by study, series, SOP instance and
 * frame, with their values and units, so that they can be kept per user and study on a server
 * later without a rewrite (their types and zod schema are the contract's, contract/src/measurements.ts;
 * Cornerstone's annotation objects are the drawing, not the model).
 *
 * One formatter words a measurement for both places it appears: Cornerstone draws its text lines
 * on the image (the tools' `getTextLines`, configured in stack-viewer.ts) and the list joins the
 * same lines. The list and the image therefore show the same value at the same precision.
 */

import type { MeasurementKind, MeasurementRecord, MeasurementValues } from '@reading-station/contract';

export type { MeasurementKind, MeasurementRecord, MeasurementValues };

/** Where a measurement was drawn: one frame of one instance. */
export type ImageKey = Pick<MeasurementRecord, 'studyInstanceUid' | 'seriesInstanceUid' | 'sopInstanceUid' | 'frameNumber'>;

/** The kinds of measurement by Cornerstone tool name. */
export const MEASUREMENT_TOOL_KINDS: Readonly<Record<string, MeasurementKind>> = {
  Length: 'length',
  Angle: 'angle',
  EllipticalROI: 'roi',
  Probe: 'probe',
};

type Stats = Record<string, unknown>;

function firstStats(cachedStats: unknown): Stats | null {
  if (typeof cachedStats !== 'object' || cachedStats === null) return null;
  const first = Object.values(cachedStats)[0];
  return typeof first === 'object' && first !== null ? (first as Stats) : null;
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const str = (value: unknown, fallback: string): string => (typeof value === 'string' && value ? value : fallback);

/**
 * The values in the statistics Cornerstone's annotation tools cache on each annotation
 * (`data.cachedStats[targetId]`); null while incomplete (an angle with one arm). Shapes differ per
 * tool and are read defensively.
 */
export function valuesFromStats(toolName: string, cachedStats: unknown): MeasurementValues | null {
  const stats = firstStats(cachedStats);
  if (!stats) return null;
  switch (MEASUREMENT_TOOL_KINDS[toolName]) {
    case 'length': {
      const length = num(stats.length);
      return length === null ? null : { kind: 'length', length, unit: str(stats.unit, 'mm') };
    }
    case 'angle': {
      const angle = num(stats.angle);
      return angle === null ? null : { kind: 'angle', angle, unit: '°' };
    }
    case 'roi': {
      const area = num(stats.area);
      if (area === null) return null;
      return { kind: 'roi', area, areaUnit: str(stats.areaUnit, 'mm²'), mean: num(stats.mean), stdDev: num(stats.stdDev), modalityUnit: str(stats.modalityUnit, '') };
    }
    case 'probe': {
      const value = num(stats.value);
      const index = Array.isArray(stats.index) ? stats.index.map(num) : [];
      const [column, row] = index;
      if (value === null || column === null || column === undefined || row === null || row === undefined) return null;
      return { kind: 'probe', value, modalityUnit: str(stats.modalityUnit, ''), column, row };
    }
    default:
      return null;
  }
}

/** One decimal, without a negative zero. */
const oneDecimal = (value: number): string => (Math.abs(value) < 0.05 ? 0 : value).toFixed(1);
/** Integers as they are (CT values are whole HU), anything else to one decimal. */
const pixelValue = (value: number): string => (Number.isInteger(value) ? String(value) : oneDecimal(value));
const withUnit = (value: string, unit: string): string => (unit ? `${value} ${unit}` : value);

/** The lines drawn beside the measurement on the image. */
export function measurementLines(values: MeasurementValues): string[] {
  switch (values.kind) {
    case 'length':
      return [withUnit(oneDecimal(values.length), values.unit)];
    case 'angle':
      return [`${oneDecimal(values.angle)}°`];
    case 'roi': {
      const lines = [`area ${withUnit(oneDecimal(values.area), values.areaUnit)}`];
      if (values.mean !== null) lines.push(`mean ${withUnit(oneDecimal(values.mean), values.modalityUnit)}`);
      if (values.stdDev !== null) lines.push(`SD ${oneDecimal(values.stdDev)}`);
      return lines;
    }
    case 'probe':
      return [withUnit(pixelValue(values.value), values.modalityUnit), `x ${values.column} y ${values.row}`];
  }
}

/** The measurement in one line, as the list shows it: the image's lines joined. */
export function measurementText(values: MeasurementValues): string {
  return measurementLines(values).join(' · ');
}

/**
 * Cornerstone's `getTextLines` for a measurement tool: the same words as the list. Returns
 * nothing while the measurement is incomplete (Cornerstone then draws no text). `adjust` turns
 * Cornerstone's values into the record's (a series' calibration), given the image's imageId.
 */
export function textLinesFor(
  toolName: string,
  adjust: (values: MeasurementValues, imageId: string) => MeasurementValues = (values) => values,
): (data: { cachedStats?: Record<string, unknown> }, targetId: string) => string[] | undefined {
  return (data, targetId) => {
    const stats = data.cachedStats?.[targetId];
    const values = valuesFromStats(toolName, stats === undefined ? undefined : { [targetId]: stats });
    // A stack viewport's target is `imageId:<imageId>`.
    return values ? measurementLines(adjust(values, targetId.replace(/^imageId:/, ''))) : undefined;
  };
}

const IMAGE_PATH = /\/studies\/([^/]+)\/series\/([^/]+)\/instances\/([^/]+)\/frames\/(\d+)$/;

/** The study, series, instance and frame an imageId (`wadors:` or `wadors-frames:`) names. */
export function imageKeyOf(imageId: string): ImageKey | null {
  const match = IMAGE_PATH.exec(imageId);
  if (!match) return null;
  const [, studyInstanceUid = '', seriesInstanceUid = '', sopInstanceUid = '', frame = ''] = match;
  return { studyInstanceUid, seriesInstanceUid, sopInstanceUid, frameNumber: Number(frame) };
}

/** Where in a series' imageIds a measurement's frame is, or null when it is not in them. */
export function imageIndexOf(imageIds: readonly string[], key: Pick<ImageKey, 'sopInstanceUid' | 'frameNumber'>): number | null {
  const index = imageIds.findIndex((imageId) => {
    const k = imageKeyOf(imageId);
    return k !== null && k.sopInstanceUid === key.sopInstanceUid && k.frameNumber === key.frameNumber;
  });
  return index < 0 ? null : index;
}
