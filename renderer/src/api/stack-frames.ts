/**
 * Every frame of a series' image instances, in the order the viewer pages through them: single-
 * frame instances, multi-frame instances (NumberOfFrames) and series that mix both. Frames are
 * ordered along the slice normal (head first) when every frame's position is known — from
 * ImagePositionPatient, or from the per-frame (or shared) functional groups of enhanced CT/MR —
 * and otherwise by instance number, then frame number.
 */
import { numberValue, numberValues, sequenceItems, stringValue, Tag, type DicomJsonObject } from '../dicom/dicom-json.ts';
import { nonImageKindOf, type NonImageKind } from '../dicom/sop-classes.ts';
import type { SeriesInstance } from './study-api.ts';

export interface StackFrame {
  instance: SeriesInstance;
  /** 1-based. */
  frame: number;
  numberOfFrames: number;
}

export function numberOfFramesOf(metadata: DicomJsonObject): number {
  const frames = numberValue(metadata, Tag.NumberOfFrames);
  return frames !== null && frames >= 1 ? Math.floor(frames) : 1;
}

/**
 * Whether the header describes pixel data: the Pixel Data attribute itself, or (Orthanc leaves it
 * out of the metadata of deflated files) the Image Pixel module's Rows, Columns and Bits Allocated.
 */
export function hasPixelData(metadata: DicomJsonObject): boolean {
  if (Tag.PixelData in metadata || Tag.FloatPixelData in metadata || Tag.DoubleFloatPixelData in metadata) return true;
  return hasImagePixelModule(metadata);
}

function hasImagePixelModule(metadata: DicomJsonObject): boolean {
  return ['00280010', '00280011', '00280100'].every((tag) => numberValue(metadata, tag) !== null);
}

/**
 * Whether only the Image Pixel module says there is pixel data (no Pixel Data attribute): a
 * deflated file, or an object without pixel data that carries the module anyway; the study loader
 * asks the server which (study-api.ts `instanceHasPixelData`).
 */
export function pixelDataUncertain(metadata: DicomJsonObject): boolean {
  return !(Tag.PixelData in metadata || Tag.FloatPixelData in metadata || Tag.DoubleFloatPixelData in metadata) && hasImagePixelModule(metadata);
}

/** The metadata of an object found to have no pixel data: without its Image Pixel module's size. */
export function withoutPixelData(metadata: DicomJsonObject): DicomJsonObject {
  return Object.fromEntries(Object.entries(metadata).filter(([tag]) => tag !== '00280010' && tag !== '00280011'));
}

/** Null for an image instance, else what it is (from its SOP class and whether it has pixel data). */
export function nonImageKindOfInstance(metadata: DicomJsonObject): NonImageKind | null {
  return nonImageKindOf(stringValue(metadata, Tag.SOPClassUID), hasPixelData(metadata));
}

function functionalGroupValues(group: DicomJsonObject | undefined, sequence: string, tag: string): number[] {
  return numberValues(sequenceItems(group, sequence)[0] ?? {}, tag);
}

/** A frame's ImagePositionPatient and ImageOrientationPatient ([] where the header has none). */
export function geometryOf(metadata: DicomJsonObject, frame: number): { position: number[]; orientation: number[] } {
  const perFrame = sequenceItems(metadata, Tag.PerFrameFunctionalGroupsSequence)[frame - 1];
  const shared = sequenceItems(metadata, Tag.SharedFunctionalGroupsSequence)[0];
  const position = [
    functionalGroupValues(perFrame, Tag.PlanePositionSequence, Tag.ImagePositionPatient),
    functionalGroupValues(shared, Tag.PlanePositionSequence, Tag.ImagePositionPatient),
    numberOfFramesOf(metadata) === 1 ? numberValues(metadata, Tag.ImagePositionPatient) : [],
  ].find((p) => p.length === 3);
  const orientation = [
    functionalGroupValues(perFrame, Tag.PlaneOrientationSequence, Tag.ImageOrientationPatient),
    functionalGroupValues(shared, Tag.PlaneOrientationSequence, Tag.ImageOrientationPatient),
    numberValues(metadata, Tag.ImageOrientationPatient),
  ].find((o) => o.length === 6);
  return { position: position ?? [], orientation: orientation ?? [] };
}

/** Where a frame lies along its slice normal (mm); null without position and orientation. */
export function alongNormal({ position, orientation }: { position: number[]; orientation: number[] }): number | null {
  if (position.length !== 3 || orientation.length !== 6) return null;
  const [rx = 0, ry = 0, rz = 0, cx = 0, cy = 0, cz = 0] = orientation;
  const normal = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
  return position.reduce((sum, p, i) => sum + p * (normal[i] ?? 0), 0);
}

/** Every frame of the image instances (non-image instances are left out), in display order. */
export function stackFrames(instances: readonly SeriesInstance[]): StackFrame[] {
  const frames = instances
    .filter((instance) => nonImageKindOfInstance(instance.metadata) === null)
    .flatMap((instance) => {
      const numberOfFrames = numberOfFramesOf(instance.metadata);
      return Array.from({ length: numberOfFrames }, (_, i) => ({ instance, frame: i + 1, numberOfFrames }));
    });
  const byNumber = (a: StackFrame, b: StackFrame) =>
    (a.instance.instanceNumber ?? Infinity) - (b.instance.instanceNumber ?? Infinity) || a.frame - b.frame;
  const keyed = frames.map((f) => ({ f, along: alongNormal(geometryOf(f.instance.metadata, f.frame)) }));
  const positions = new Set(keyed.map((k) => k.along));
  if (keyed.length > 1 && keyed.every((k) => k.along !== null) && positions.size > 1) {
    // Higher along the normal (towards the head on an axial stack) first; ties keep acquisition order.
    return keyed.sort((a, b) => (b.along ?? 0) - (a.along ?? 0) || byNumber(a.f, b.f)).map((k) => k.f);
  }
  return frames.sort(byNumber);
}
