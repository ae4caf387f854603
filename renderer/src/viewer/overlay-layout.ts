/**
 * What each corner of the image says, per modality, in one table: change a modality's corners
 * here and nowhere else. Items are drawn in the order listed; an item with nothing to say (no
 * slice thickness on a radiograph, a single image's slice number) leaves no line.
 */
export type OverlayItem =
  | 'patientName'
  | 'patientId'
  | 'birthDateSexAge'
  | 'accession'
  | 'studyDescription'
  | 'studyDate'
  | 'series'
  | 'instance'
  | 'slice'
  | 'location'
  | 'thickness'
  | 'windowLevel'
  | 'zoom'
  | 'spacing';

export interface CornerLayout {
  topLeft: readonly OverlayItem[];
  topRight: readonly OverlayItem[];
  bottomLeft: readonly OverlayItem[];
  bottomRight: readonly OverlayItem[];
}

const PATIENT: readonly OverlayItem[] = ['patientName', 'patientId', 'birthDateSexAge', 'accession'];
const STUDY: readonly OverlayItem[] = ['studyDescription', 'studyDate', 'series', 'instance'];

/** Cross-sectional stacks: where the slice is and how thick it is matter. */
const CROSS_SECTIONAL: CornerLayout = {
  topLeft: PATIENT,
  topRight: STUDY,
  bottomLeft: ['slice', 'location', 'thickness', 'windowLevel'],
  bottomRight: ['zoom', 'spacing'],
};

/** Projection images: no slice position; what a millimetre means (detector or patient) does. */
const PROJECTION: CornerLayout = {
  topLeft: PATIENT,
  topRight: STUDY,
  bottomLeft: ['slice', 'windowLevel'],
  bottomRight: ['zoom', 'spacing'],
};

export const OVERLAY_LAYOUTS: Readonly<Record<string, CornerLayout>> = {
  CT: CROSS_SECTIONAL,
  MR: CROSS_SECTIONAL,
  PT: CROSS_SECTIONAL,
  NM: CROSS_SECTIONAL,
  CR: PROJECTION,
  DX: PROJECTION,
  MG: PROJECTION,
  RF: PROJECTION,
  XA: PROJECTION,
  IO: PROJECTION,
  US: PROJECTION,
};

/** Any other modality (or none): everything known. */
export const DEFAULT_OVERLAY_LAYOUT: CornerLayout = CROSS_SECTIONAL;

export function overlayLayoutFor(modality: string): CornerLayout {
  return OVERLAY_LAYOUTS[modality.trim().toUpperCase()] ?? DEFAULT_OVERLAY_LAYOUT;
}
