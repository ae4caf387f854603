/**
 * Reading values out of DICOM JSON (PS3.18 F.2) objects as QIDO and WADO-RS metadata return them,
 * without trusting their shape.
 */
import { z } from 'zod';

const attributeSchema = z.object({ vr: z.string(), Value: z.array(z.unknown()).optional() }).loose();
export const dicomJsonObjectSchema = z.record(z.string(), attributeSchema);
export type DicomJsonObject = z.infer<typeof dicomJsonObjectSchema>;
export const dicomJsonArraySchema = z.array(dicomJsonObjectSchema);

export const Tag = {
  PatientName: '00100010',
  PatientID: '00100020',
  IssuerOfPatientID: '00100021',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  StudyInstanceUID: '0020000D',
  StudyDate: '00080020',
  StudyTime: '00080030',
  AccessionNumber: '00080050',
  ModalitiesInStudy: '00080061',
  StudyDescription: '00081030',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  SeriesInstanceUID: '0020000E',
  SeriesNumber: '00200011',
  SeriesDescription: '0008103E',
  Modality: '00080060',
  NumberOfSeriesRelatedInstances: '00201209',
  SOPInstanceUID: '00080018',
  InstanceNumber: '00200013',
  ImagePositionPatient: '00200032',
  ImageOrientationPatient: '00200037',
  PixelSpacing: '00280030',
  ImagerPixelSpacing: '00181164',
  PixelSpacingCalibrationType: '00280A02',
  PixelSpacingCalibrationDescription: '00280A04',
  EstimatedRadiographicMagnificationFactor: '00181114',
  SliceLocation: '00201041',
  SliceThickness: '00180050',
  PixelMeasuresSequence: '00289110',
  PatientAge: '00101010',
  SOPClassUID: '00080016',
  NumberOfFrames: '00280008',
  BitsAllocated: '00280100',
  SamplesPerPixel: '00280002',
  PixelData: '7FE00010',
  FloatPixelData: '7FE00008',
  DoubleFloatPixelData: '7FE00009',
  SharedFunctionalGroupsSequence: '52009229',
  PerFrameFunctionalGroupsSequence: '52009230',
  PlanePositionSequence: '00209113',
  PlaneOrientationSequence: '00209116',
} as const;

/** The items of a sequence attribute (SQ), as DICOM JSON objects. */
export function sequenceItems(object: DicomJsonObject | undefined, tag: string): DicomJsonObject[] {
  const values = object?.[tag]?.Value ?? [];
  return values.filter((v): v is DicomJsonObject => typeof v === 'object' && v !== null && !Array.isArray(v));
}

function firstValue(object: DicomJsonObject, tag: string): unknown {
  return object[tag]?.Value?.[0];
}

export function stringValue(object: DicomJsonObject, tag: string): string | null {
  const value = firstValue(object, tag);
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  // PN values are objects: { Alphabetic, Ideographic, Phonetic }. All three groups are kept, as
  // the PN string has them (`Wang^XiaoDong=王^小東`); dicom/person-name.ts says how they are shown.
  if (typeof value === 'object' && value !== null && ('Alphabetic' in value || 'Ideographic' in value || 'Phonetic' in value)) {
    const { Alphabetic, Ideographic, Phonetic } = value as { Alphabetic?: unknown; Ideographic?: unknown; Phonetic?: unknown };
    const group = (g: unknown) => (typeof g === 'string' ? g : '');
    const pn = [group(Alphabetic), group(Ideographic), group(Phonetic)].join('=').replace(/=+$/, '');
    return pn === '' ? null : pn;
  }
  return null;
}

export function numberValue(object: DicomJsonObject, tag: string): number | null {
  const value = firstValue(object, tag);
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(number) ? number : null;
}

export function numberValues(object: DicomJsonObject, tag: string): number[] {
  const values = object[tag]?.Value ?? [];
  return values.map((v) => (typeof v === 'number' ? v : Number(v))).filter((v) => Number.isFinite(v));
}

export function stringValues(object: DicomJsonObject, tag: string): string[] {
  return (object[tag]?.Value ?? []).filter((v): v is string => typeof v === 'string');
}
