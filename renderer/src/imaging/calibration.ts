/**
 * Calibration by the user: a line drawn over an object of known size (a ruler on the film, a
 * calibration sphere, a coin) and its true length in mm set the series' scale, for images whose
 * header gives no spacing in the patient (none at all, or only the detector's). From then on its
 * lengths and areas are in mm "calibrated by user", every measurement of the series is recomputed,
 * and the overlay and the measurement list say so; removing the calibration restores the header's
 * units. Like the measurements it is a record of the session (measurement-store.ts).
 *
 * Cornerstone keeps measuring as before (in px without a spacing, in mm at the detector with one);
 * the calibration multiplies those raw values by mm per raw unit, so a measurement's handles and
 * Cornerstone's own statistics never change and the calibration can be taken back exactly.
 */
import type { MeasurementValues } from './measurements.ts';

/** The units Cornerstone measures a series in without a calibration: px, or mm (detector). */
export type RawLengthUnit = 'px' | 'mm';

export interface SeriesCalibration {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** What Cornerstone measures this series in; other units are left alone. */
  rawUnit: RawLengthUnit;
  /** mm per raw unit. */
  mmPerUnit: number;
  /** The line it was made from: as measured (raw unit) and as the user said (mm). */
  reference: { measured: number; knownMm: number };
  /** The pixel size it implies, mm. */
  pixelMm: number;
}

/** What a known length may be: from a small marker to a long ruler. */
export const KNOWN_LENGTH_MM = { min: 0.1, max: 1000 } as const;
/** A shorter line cannot set a scale to better than a few per cent (a pixel or two of aim). */
export const MIN_LINE_PX = 10;
/** Pixel sizes of real images (micro-CT to a coarse scan of a film); outside them a typo is likelier. */
export const PIXEL_MM = { min: 0.005, max: 10 } as const;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** The known length as typed: a plain decimal number of mm (a decimal comma is accepted). */
export function parseKnownLength(text: string): Parsed<number> {
  const trimmed = text.trim().replace(/\s*mm$/i, '').replace(',', '.');
  if (trimmed === '') return { ok: false, message: 'Enter the true length of the line in mm.' };
  if (/^-\s*[\d.]/.test(trimmed)) return { ok: false, message: 'The length must be greater than 0 mm.' };
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(trimmed)) return { ok: false, message: `"${text.trim()}" is not a length: enter a positive number of mm, such as 25 or 12.5.` };
  const value = Number(trimmed);
  if (value <= 0) return { ok: false, message: 'The length must be greater than 0 mm.' };
  // Digits enough to overflow are out of range as well.
  if (!Number.isFinite(value) || value < KNOWN_LENGTH_MM.min || value > KNOWN_LENGTH_MM.max) {
    return { ok: false, message: `The length must be between ${KNOWN_LENGTH_MM.min} mm and ${KNOWN_LENGTH_MM.max} mm.` };
  }
  return { ok: true, value };
}

/** The calibration line as drawn. */
export interface CalibrationLine {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** Its length as Cornerstone measured it. */
  measured: number;
  unit: string;
  /** The header's pixel size (mm) where the raw unit is mm; null without one. */
  headerPixelMm: number | null;
}

/** The calibration a line of known length makes, or why it cannot make one. */
export function calibrationFrom(line: CalibrationLine, knownMm: number): Parsed<SeriesCalibration> {
  if (line.unit !== 'px' && line.unit !== 'mm') return { ok: false, message: `This image is measured in ${line.unit}; it cannot be calibrated.` };
  const rawUnit: RawLengthUnit = line.unit;
  const headerPixelMm = rawUnit === 'mm' ? line.headerPixelMm : 1;
  if (!Number.isFinite(line.measured) || headerPixelMm === null || !(headerPixelMm > 0)) return { ok: false, message: 'The line could not be measured. Draw it again.' };
  const linePx = line.measured / headerPixelMm;
  if (!(linePx >= MIN_LINE_PX)) return { ok: false, message: `The line is ${linePx.toFixed(1)} px long: draw one of at least ${MIN_LINE_PX} px, over the whole object.` };
  const mmPerUnit = knownMm / line.measured;
  const pixelMm = headerPixelMm * mmPerUnit;
  if (pixelMm < PIXEL_MM.min || pixelMm > PIXEL_MM.max) {
    return {
      ok: false,
      message: `${knownMm} mm over ${linePx.toFixed(1)} px would make a pixel ${Number(pixelMm.toPrecision(3))} mm, outside ${PIXEL_MM.min}–${PIXEL_MM.max} mm. Check the length and the line.`,
    };
  }
  return {
    ok: true,
    value: { studyInstanceUid: line.studyInstanceUid, seriesInstanceUid: line.seriesInstanceUid, rawUnit, mmPerUnit, reference: { measured: line.measured, knownMm }, pixelMm },
  };
}

/** A measurement's values in the calibration's mm; values in other units (and angles, pixel values) as they are. */
export function calibratedValues(values: MeasurementValues, calibration: SeriesCalibration | null): MeasurementValues {
  if (!calibration) return values;
  const f = calibration.mmPerUnit;
  switch (values.kind) {
    case 'length':
      return values.unit === calibration.rawUnit ? { ...values, length: values.length * f, unit: 'mm', calibration: 'user' } : values;
    case 'roi':
      return values.areaUnit === `${calibration.rawUnit}²` ? { ...values, area: values.area * f * f, areaUnit: 'mm²', calibration: 'user' } : values;
    default:
      return values;
  }
}
