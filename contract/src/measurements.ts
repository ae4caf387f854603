import { z } from 'zod';

/*
 * A measurement drawn in the viewer, as plain data: keyed by study, series, SOP instance and
 * frame, with its handles in patient coordinates and its values with their units. The viewer keeps
 * them per session (renderer/src/imaging/measurement-store.ts); the same records are what a server
 * would store per user and study, parsed with `measurementRecordSchema`.
 */

const uid = z.string().regex(/^[0-9]+(\.[0-9]+)*$/).max(64);
const finite = z.number().finite();
const unit = z.string().max(16);
/** Present when the mm come from the user's calibration (a line of known length), not the header's spacing. */
const calibration = z.literal('user').optional();

export const measurementValuesSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('length'), length: finite.nonnegative(), unit, calibration }),
  z.object({ kind: z.literal('angle'), angle: finite, unit: z.literal('°') }),
  z.object({ kind: z.literal('roi'), area: finite.nonnegative(), areaUnit: unit, mean: finite.nullable(), stdDev: finite.nullable(), modalityUnit: unit, calibration }),
  /** One pixel's modality value (HU on CT) at image column/row (0-based). */
  z.object({ kind: z.literal('probe'), value: finite, modalityUnit: unit, column: z.number().int().nonnegative(), row: z.number().int().nonnegative() }),
]);
export type MeasurementValues = z.infer<typeof measurementValuesSchema>;
export type MeasurementKind = MeasurementValues['kind'];

export const measurementRecordSchema = z.object({
  /** The viewer's id for it (Cornerstone's annotationUID). */
  id: z.string().min(1).max(64),
  studyInstanceUid: uid,
  seriesInstanceUid: uid,
  sopInstanceUid: uid,
  /** 1-based, as DICOM numbers frames. */
  frameNumber: z.number().int().positive(),
  /** The handles as drawn, in patient coordinates (mm, DICOM LPS). */
  points: z.array(z.tuple([finite, finite, finite])).max(8),
  values: measurementValuesSchema,
});
export type MeasurementRecord = z.infer<typeof measurementRecordSchema>;
