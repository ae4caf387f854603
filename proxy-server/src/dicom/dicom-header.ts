import dcmjs from 'dcmjs';
import { z } from 'zod';

/** The patient and study attributes of one DICOM instance, as the registry needs them. */
export interface DicomInstanceHeader {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  patientId: string;
  /** PN in its Alphabetic form, e.g. `DOE^JANE`. */
  patientName: string | null;
  patientBirthDate: string | null;
  patientSex: string | null;
  accessionNumber: string | null;
  studyDate: string | null;
  studyTime: string | null;
  studyDescription: string | null;
  /** ModalitiesInStudy when the instance carries it, else its own Modality. */
  modalities: string[];
}

/** Why a file cannot be read as a DICOM instance; the message is meant for the person importing. */
export class DicomHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DicomHeaderError';
  }
}

const TAGS = {
  sopInstanceUid: ['00080018', 'SOPInstanceUID (0008,0018)'],
  seriesInstanceUid: ['0020000E', 'SeriesInstanceUID (0020,000E)'],
  studyInstanceUid: ['0020000D', 'StudyInstanceUID (0020,000D)'],
  patientId: ['00100020', 'PatientID (0010,0020)'],
  patientName: ['00100010', 'PatientName (0010,0010)'],
  patientBirthDate: ['00100030', 'PatientBirthDate (0010,0030)'],
  patientSex: ['00100040', 'PatientSex (0010,0040)'],
  accessionNumber: ['00080050', 'AccessionNumber (0008,0050)'],
  studyDate: ['00080020', 'StudyDate (0008,0020)'],
  studyTime: ['00080030', 'StudyTime (0008,0030)'],
  studyDescription: ['00081030', 'StudyDescription (0008,1030)'],
  modalitiesInStudy: ['00080061', 'ModalitiesInStudy (0008,0061)'],
  modality: ['00080060', 'Modality (0008,0060)'],
} as const;

type TagName = keyof typeof TAGS;

// Everything the registry needs comes before the pixel data; stopping there avoids decoding it.
const PIXEL_DATA = '7FE00010';
const PREAMBLE_LENGTH = 128;

const personName = z.union([z.string(), z.looseObject({ Alphabetic: z.string().optional() }).transform((name) => name.Alphabetic ?? '')]);
const values = z.array(z.union([z.string(), z.number(), personName]).nullable());

export function isDicomPart10(bytes: Uint8Array): boolean {
  return bytes.length >= PREAMBLE_LENGTH + 4 && Buffer.from(bytes.subarray(PREAMBLE_LENGTH, PREAMBLE_LENGTH + 4)).toString('latin1') === 'DICM';
}

/** Reads the header of a DICOM Part 10 file (preamble, `DICM`, meta group, dataset). */
export function readDicomHeader(bytes: Uint8Array): DicomInstanceHeader {
  if (!isDicomPart10(bytes)) throw new DicomHeaderError('not a DICOM Part 10 file (no "DICM" after the 128-byte preamble)');
  const exact = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (!(exact instanceof ArrayBuffer)) throw new DicomHeaderError('unreadable DICOM: shared memory is not supported');
  let dataset: Record<string, { Value?: unknown } | undefined>;
  try {
    dataset = dcmjs.data.DicomMessage.readFile(exact, { untilTag: PIXEL_DATA, includeUntilTagValue: false, noCopy: true }).dict;
  } catch (error) {
    throw new DicomHeaderError(`unreadable DICOM: ${error instanceof Error ? error.message : String(error)}`);
  }

  const all = (name: TagName): string[] => {
    const [tag, label] = TAGS[name];
    const element = dataset[tag];
    if (element?.Value === undefined) return [];
    const parsed = values.safeParse(element.Value);
    if (!parsed.success) throw new DicomHeaderError(`unreadable ${label}`);
    return parsed.data.filter((value) => value !== null).map((value) => String(value).trim()).filter((value) => value !== '');
  };
  const optional = (name: TagName): string | null => all(name)[0] ?? null;
  const required = (name: TagName): string => {
    const value = optional(name);
    if (value === null) throw new DicomHeaderError(`missing ${TAGS[name][1]}`);
    return value;
  };

  const modalitiesInStudy = all('modalitiesInStudy');
  return {
    sopInstanceUid: required('sopInstanceUid'),
    seriesInstanceUid: required('seriesInstanceUid'),
    studyInstanceUid: required('studyInstanceUid'),
    patientId: required('patientId'),
    patientName: optional('patientName'),
    patientBirthDate: optional('patientBirthDate'),
    patientSex: optional('patientSex'),
    accessionNumber: optional('accessionNumber'),
    studyDate: optional('studyDate'),
    studyTime: optional('studyTime'),
    studyDescription: optional('studyDescription'),
    modalities: modalitiesInStudy.length > 0 ? modalitiesInStudy : all('modality'),
  };
}
