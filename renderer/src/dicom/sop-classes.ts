/**
 * What a DICOM object is, from its SOP Class UID (PS3.4 B.5) and whether its header carries pixel
 * data — decided before any frame is requested, so that a report, a waveform or a plan is
 * explained in words instead of being asked for frames it does not have.
 */

/** A kind of object that is not an image, with the words the viewer shows for it. */
export interface NonImageKind {
  kind: 'sr' | 'waveform' | 'rt' | 'document' | 'key-objects' | 'presentation-state' | 'other';
  /** e.g. `Structured report`. */
  label: string;
}

const SOP = '1.2.840.10008.5.1.4.1.1.';

/** Encapsulated PDF Storage: the viewer draws its document (EncapsulatedPdf.tsx). */
export const ENCAPSULATED_PDF_STORAGE = `${SOP}104.1`;

/** Known non-image SOP classes (exact UIDs) and families (prefixes), most specific first. */
const NON_IMAGE_CLASSES: ReadonlyArray<{ uid: string; prefix?: true } & NonImageKind> = [
  { uid: `${SOP}88.59`, kind: 'key-objects', label: 'Key object selection' },
  { uid: `${SOP}88.`, prefix: true, kind: 'sr', label: 'Structured report' },
  { uid: `${SOP}9.1.`, prefix: true, kind: 'waveform', label: 'ECG waveform' },
  { uid: `${SOP}9.`, prefix: true, kind: 'waveform', label: 'Waveform' },
  { uid: `${SOP}481.3`, kind: 'rt', label: 'RT structure set' },
  { uid: `${SOP}481.5`, kind: 'rt', label: 'RT plan' },
  { uid: `${SOP}481.8`, kind: 'rt', label: 'RT ion plan' },
  { uid: `${SOP}481.`, prefix: true, kind: 'rt', label: 'RT treatment record' },
  { uid: ENCAPSULATED_PDF_STORAGE, kind: 'document', label: 'Encapsulated PDF' },
  { uid: `${SOP}104.2`, kind: 'document', label: 'Encapsulated CDA document' },
  { uid: `${SOP}104.`, prefix: true, kind: 'document', label: 'Encapsulated document' },
  { uid: `${SOP}11.`, prefix: true, kind: 'presentation-state', label: 'Presentation state' },
  { uid: `${SOP}66`, kind: 'other', label: 'Raw data' },
  { uid: `${SOP}66.1`, kind: 'other', label: 'Spatial registration' },
  { uid: `${SOP}66.2`, kind: 'other', label: 'Spatial fiducials' },
  { uid: `${SOP}66.3`, kind: 'other', label: 'Deformable spatial registration' },
  { uid: `${SOP}67`, kind: 'other', label: 'Real world value mapping' },
];

/** RT Dose (481.2) is a dose grid with pixel data: shown as an image. */
const IMAGE_CLASSES_IN_NON_IMAGE_FAMILIES = new Set([`${SOP}481.2`]);

/**
 * Null for an image (an image SOP class whose header has pixel data); otherwise what the object
 * is. Anything without pixel data, whatever its class, is not shown as an image.
 */
export function nonImageKindOf(sopClassUid: string | null, hasPixelData: boolean): NonImageKind | null {
  const uid = sopClassUid?.trim() ?? '';
  if (!IMAGE_CLASSES_IN_NON_IMAGE_FAMILIES.has(uid)) {
    const known = NON_IMAGE_CLASSES.find((c) => (c.prefix ? uid.startsWith(c.uid) : uid === c.uid));
    if (known) return { kind: known.kind, label: known.label };
  }
  if (!hasPixelData) return { kind: 'other', label: 'Object without pixel data' };
  return null;
}

/** The plain sentence the viewer shows for it: `Structured report — not an image`. */
export function nonImageMessage(kind: NonImageKind): string {
  return `${kind.label} — not an image`;
}
