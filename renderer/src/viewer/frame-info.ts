/**
 * What the overlay says about one frame of a series, read from its own header (per-frame
 * functional groups first for enhanced objects): instance number, where the slice lies, how thick
 * it is and which way its rows and columns run in the patient. Kept beside the frame's imageId so
 * that the overlay describes the image that is drawn, never the one asked for.
 */
import { alongNormal, geometryOf } from '../api/stack-frames.ts';
import { numberValue, numberValues, sequenceItems, stringValue, Tag, type DicomJsonObject } from '../dicom/dicom-json.ts';

/**
 * What a millimetre measured on the image means (PS3.3 10.7.1.3, Pixel Spacing and Imager Pixel
 * Spacing): `patient` — PixelSpacing of a cross-sectional image, in the patient; `calibrated` —
 * a projection image's PixelSpacing calibrated to the patient (PixelSpacingCalibrationType, or a
 * value other than the detector's); `detector` — only the detector's spacing is known
 * (ImagerPixelSpacing, or a PixelSpacing equal to it without calibration), so lengths are those
 * at the detector, magnified by the beam's divergence; `none` — no spacing: lengths in pixels.
 */
export type SpacingKind = 'patient' | 'calibrated' | 'detector' | 'none';

export interface PixelSpacingInfo {
  kind: SpacingKind;
  /** Row spacing (between rows) and column spacing, mm; null for `none`. */
  rowMm: number | null;
  columnMm: number | null;
}

export function pixelSpacingOf(metadata: DicomJsonObject, frame: number): PixelSpacingInfo {
  const perFrame = sequenceItems(metadata, Tag.PerFrameFunctionalGroupsSequence)[frame - 1];
  const shared = sequenceItems(metadata, Tag.SharedFunctionalGroupsSequence)[0];
  const pixel = [
    numberValues(sequenceItems(perFrame, Tag.PixelMeasuresSequence)[0] ?? {}, Tag.PixelSpacing),
    numberValues(sequenceItems(shared, Tag.PixelMeasuresSequence)[0] ?? {}, Tag.PixelSpacing),
    numberValues(metadata, Tag.PixelSpacing),
  ].find((v) => v.length === 2 && v.every((x) => x > 0));
  const imager = numberValues(metadata, Tag.ImagerPixelSpacing);
  const detector = imager.length === 2 && imager.every((x) => x > 0) ? imager : null;
  if (pixel) {
    const [rowMm = null, columnMm = null] = pixel;
    if (!detector) return { kind: 'patient', rowMm, columnMm };
    const calibrated = stringValue(metadata, Tag.PixelSpacingCalibrationType) !== null || pixel.some((v, i) => Math.abs(v - (detector[i] ?? v)) > 1e-6);
    return { kind: calibrated ? 'calibrated' : 'detector', rowMm, columnMm };
  }
  if (detector) return { kind: 'detector', rowMm: detector[0] ?? null, columnMm: detector[1] ?? null };
  return { kind: 'none', rowMm: null, columnMm: null };
}

export interface FrameInfo {
  instanceNumber: number | null;
  /** 1-based frame of its instance. */
  frame: number;
  numberOfFrames: number;
  /** SliceLocation (mm), else the position along the slice normal; null without either. */
  sliceLocation: number | null;
  /** SliceThickness (mm); null when the header has none. */
  sliceThickness: number | null;
  /** ImageOrientationPatient (row then column direction cosines); null when the header has none. */
  orientation: readonly number[] | null;
  /** What lengths measured on it mean. */
  spacing: PixelSpacingInfo;
}

function perFrameOrShared(metadata: DicomJsonObject, frame: number, sequence: string, tag: string): number | null {
  const groups = [
    sequenceItems(metadata, Tag.PerFrameFunctionalGroupsSequence)[frame - 1],
    sequenceItems(metadata, Tag.SharedFunctionalGroupsSequence)[0],
  ];
  for (const group of groups) {
    const value = numberValue(sequenceItems(group, sequence)[0] ?? {}, tag);
    if (value !== null) return value;
  }
  return null;
}

export function frameInfoOf(metadata: DicomJsonObject, frame: number, numberOfFrames: number): FrameInfo {
  const geometry = geometryOf(metadata, frame);
  const sliceLocation = numberOfFrames === 1 ? numberValue(metadata, Tag.SliceLocation) : null;
  return {
    instanceNumber: numberValue(metadata, Tag.InstanceNumber),
    frame,
    numberOfFrames,
    sliceLocation: sliceLocation ?? alongNormal(geometry),
    sliceThickness: perFrameOrShared(metadata, frame, Tag.PixelMeasuresSequence, Tag.SliceThickness) ?? numberValue(metadata, Tag.SliceThickness),
    orientation: geometry.orientation.length === 6 ? geometry.orientation : null,
    spacing: pixelSpacingOf(metadata, frame),
  };
}
