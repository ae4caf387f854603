/**
 * DICOM Part 10 files through dcmjs, typed at the boundary (dcmjs ships no types).
 *
 * Datasets are dcmjs "naturalized" objects: keyword → value, with `_vrMap` naming the VR of
 * elements whose VR depends on context (PixelData OB, PixelPaddingValue SS/US).
 */
import { createRequire } from 'node:module';

/** A naturalized dataset as dcmjs reads and writes it. */
export type NaturalDataset = Record<string, unknown>;

interface DcmjsDicomDict {
  dict: Record<string, unknown>;
  write(options?: { fragmentMultiframe?: boolean; allowInvalidVRLength?: boolean }): ArrayBuffer;
}

interface DcmjsData {
  DicomDict: new (meta: Record<string, unknown>) => DcmjsDicomDict;
  DicomMessage: {
    readFile(buffer: ArrayBuffer, options?: { ignoreErrors?: boolean }): { meta: Record<string, unknown>; dict: Record<string, unknown> };
  };
  DicomMetaDictionary: {
    naturalizeDataset(dataset: Record<string, unknown>): NaturalDataset;
    denaturalizeDataset(dataset: NaturalDataset): Record<string, unknown>;
  };
}

function loadDcmjs(): DcmjsData {
  const require = createRequire(import.meta.url);
  const dcmjs: unknown = require('dcmjs');
  const data = typeof dcmjs === 'object' && dcmjs !== null ? (dcmjs as { data?: unknown }).data : undefined;
  if (typeof data !== 'object' || data === null) throw new Error('dcmjs: unexpected module shape');
  const d = data as Record<string, unknown>;
  if (typeof d.DicomDict !== 'function' || typeof d.DicomMessage !== 'function' || typeof d.DicomMetaDictionary !== 'function') {
    throw new Error('dcmjs: unexpected module shape');
  }
  return data as DcmjsData;
}

const dcmjs = loadDcmjs();

/**
 * Serialises a Part 10 file. Encapsulated pixel data (PixelData given as one ArrayBuffer per
 * frame, with the file meta's TransferSyntaxUID an encapsulated one) is written with one
 * fragment per frame and a basic offset table; odd-length frames get one pad byte.
 */
export function writePart10(meta: NaturalDataset, dataset: NaturalDataset): Uint8Array {
  const dict = new dcmjs.DicomDict(dcmjs.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write({ fragmentMultiframe: false }));
}

export interface Part10File {
  readonly meta: NaturalDataset;
  readonly dataset: NaturalDataset;
}

/** Parses a Part 10 file. For encapsulated pixel data, `dataset.PixelData` holds one ArrayBuffer per frame. */
export function readPart10(bytes: Uint8Array): Part10File {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const message = dcmjs.DicomMessage.readFile(buffer);
  return {
    meta: dcmjs.DicomMetaDictionary.naturalizeDataset(message.meta),
    dataset: dcmjs.DicomMetaDictionary.naturalizeDataset(message.dict),
  };
}
