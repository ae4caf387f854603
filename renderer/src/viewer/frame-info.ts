/**
 * What the overlay says about one frame of a series, read from its own header (per-frame
 * functional groups first for enhanced objects): instance number, where the slice lies, how thick
 * it is and which way its rows and columns run in the patient. Kept beside the frame's imageId so
 * that the overlay describes the image that is drawn, never the one asked for.
 */
import { alongNormal, geometryOf } from '../api/stack-frames.ts';
import { numberValue, sequenceItems, Tag, type DicomJsonObject } from '../dicom/dicom-json.ts';

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
  };
}
