/**
 * The one frame of a single-frame DICOM Part 10 object, as a series retrieval brings it, in the
 * form a frame request would have brought it: the encapsulated codestream (its fragments joined)
 * or the native pixel bytes, with the object's transfer syntax. Cornerstone's `createImage` then
 * decodes it exactly as a frame from `…/frames/1`.
 *
 * Only what the viewer can take as it stands is taken; anything else answers null and that frame
 * is asked for on its own (`…/frames/1`), where Orthanc converts or refuses it as it always has:
 * several frames, big endian or deflated objects (Orthanc sends frames of those as little endian),
 * native data shorter than its header says (truncated), uncompressed YBR 4:2:2 (Orthanc refuses to
 * cut such frames), objects dicom-parser cannot read.
 */
// The package is a UMD bundle: its default export is the library in Vite and in Node alike.
import dicomParser from 'dicom-parser';

export interface Part10Frame {
  sopInstanceUid: string;
  transferSyntax: string;
  bytes: Uint8Array;
}

const NATIVE_SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']);

/** Encapsulated syntaxes the viewer decodes (README, "What the viewer shows"). */
const ENCAPSULATED_SYNTAXES = new Set([
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.91',
  '1.2.840.10008.1.2.4.201',
  '1.2.840.10008.1.2.4.202',
  '1.2.840.10008.1.2.4.203',
  '1.2.840.10008.1.2.5',
]);

function parse(object: Uint8Array): dicomParser.DataSet | null {
  try {
    return dicomParser.parseDicom(object);
  } catch {
    return null;
  }
}

export function singleFrameOf(object: Uint8Array): Part10Frame | null {
  const dataSet = parse(object);
  if (!dataSet) return null;
  const transferSyntax = dataSet.string('x00020010')?.trim() ?? '';
  const sopInstanceUid = dataSet.string('x00080018')?.trim() ?? '';
  const pixelData = dataSet.elements['x7fe00010'];
  if (!sopInstanceUid || !pixelData || (dataSet.intString('x00280008') ?? 1) !== 1) return null;
  try {
    if (pixelData.encapsulatedPixelData) {
      const fragments = pixelData.fragments ?? [];
      if (!ENCAPSULATED_SYNTAXES.has(transferSyntax) || fragments.length === 0) return null;
      const bytes = dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, 0, fragments.length);
      return { sopInstanceUid, transferSyntax, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
    }
    if (!NATIVE_SYNTAXES.has(transferSyntax)) return null;
    if (/^YBR_(?:FULL|PARTIAL)_42[02]$/.test(dataSet.string('x00280004')?.trim() ?? '')) return null;
    const size = ((dataSet.uint16('x00280010') ?? 0) * (dataSet.uint16('x00280011') ?? 0) * (dataSet.uint16('x00280002') ?? 1) * (dataSet.uint16('x00280100') ?? 0)) / 8;
    if (!Number.isInteger(size) || size <= 0 || pixelData.length < size || pixelData.dataOffset + size > object.length) return null;
    return { sopInstanceUid, transferSyntax, bytes: object.slice(pixelData.dataOffset, pixelData.dataOffset + size) };
  } catch {
    return null;
  }
}
