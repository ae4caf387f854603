/**
 * Writes the demo cohort as DICOM Part 10 files, one CT image per file, pixel data encoded as
 * HTJ2K, plus `manifest.json` describing the cohort and every file.
 *
 * The output is deterministic (no clocks, no randomness beyond the seeded phantom), and the
 * manifest carries a version stamp derived from everything that shapes the files; when the stamp
 * on disk matches and the files are there, the dataset is reused as it is.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import {
  CT_IMAGE_STORAGE,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  demoCohort,
  instanceUid,
  type DemoCohort,
  type DemoPatient,
  type DemoSeries,
  type DemoStudy,
  type DemoTransferSyntax,
} from './cohort.ts';
import { HTJ2K_ENCODE_OPTIONS, OPENJPH_VERSION, encodeHtj2k } from './htj2k.ts';
import { demoManifestSchema } from './manifest-schema.ts';
import { writePart10, type NaturalDataset } from './part10.ts';
import {
  PHANTOM_PADDING_VALUE,
  PHANTOM_RESCALE_INTERCEPT,
  PHANTOM_RESCALE_SLOPE,
  PHANTOM_VERSION,
  phantomSlice,
  phantomSliceGeometry,
} from './phantom.ts';

/** Bump when the files change for a reason the stamp cannot see (attributes, layout). */
const GENERATOR_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
const STUDIES_DIR = 'studies';

export interface DemoInstance {
  /** Path of the Part 10 file relative to the dataset directory, with `/` separators. */
  readonly file: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  /** 1-based, slice order (head to feet). */
  readonly instanceNumber: number;
  /** 0-based; `phantomSlice(series.phantom, sliceIndex)` gives the stored pixels. */
  readonly sliceIndex: number;
  readonly transferSyntaxUid: DemoTransferSyntax;
  /** Length of the HTJ2K codestream before DICOM's pad byte. */
  readonly codestreamBytes: number;
  readonly fileBytes: number;
}

export interface DemoManifest {
  readonly formatVersion: 1;
  /** Changes whenever the generated files would; compare to skip regeneration. */
  readonly version: string;
  readonly generator: {
    readonly generatorVersion: number;
    readonly phantomVersion: number;
    readonly openjphVersion: string;
    /** Null for the full dataset; N when generated with maxSlicesPerSeries N. */
    readonly maxSlicesPerSeries: number | null;
  };
  /** Users (with roles), patients, studies (with assignments) and series (with phantom specs). */
  readonly cohort: DemoCohort;
  readonly instances: readonly DemoInstance[];
  readonly totals: { readonly instances: number; readonly fileBytes: number; readonly codestreamBytes: number };
}

export interface DemoProgress {
  /** Instances written so far, including this one. */
  readonly done: number;
  readonly total: number;
  readonly instance: DemoInstance;
}

export interface GenerateDemoOptions {
  /** Called after each instance is written (not on a cache hit). */
  readonly onProgress?: (progress: DemoProgress) => void;
  /** Regenerate even when the dataset on disk is current. */
  readonly force?: boolean;
  /** Test-only: keep the first N slices of each series (the stamp differs from the full set). */
  readonly maxSlicesPerSeries?: number;
}

/** The version stamp the dataset for these options has. */
export function demoDatasetVersion(options: Pick<GenerateDemoOptions, 'maxSlicesPerSeries'> = {}): string {
  const cohort = demoCohort(cohortOptions(options));
  const inputs = {
    generator: GENERATOR_VERSION,
    phantom: PHANTOM_VERSION,
    openjph: OPENJPH_VERSION,
    encode: HTJ2K_ENCODE_OPTIONS,
    implementation: [IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME],
    cohort,
  };
  const digest = createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
  return `demo-${GENERATOR_VERSION}.${PHANTOM_VERSION}-${digest.slice(0, 16)}`;
}

/** The manifest in `outDir`, or null if there is none or it does not parse. */
export async function readDemoManifest(outDir: string): Promise<DemoManifest | null> {
  let text: string;
  try {
    text = await readFile(path.join(outDir, MANIFEST_FILE), 'utf8');
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = demoManifestSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** The dataset in `outDir` if it has the expected stamp and all its files (by size), else null. */
export async function currentDemoDataset(
  outDir: string,
  options: Pick<GenerateDemoOptions, 'maxSlicesPerSeries'> = {},
): Promise<DemoManifest | null> {
  const manifest = await readDemoManifest(outDir);
  if (!manifest || manifest.version !== demoDatasetVersion(options)) return null;
  for (const instance of manifest.instances) {
    try {
      const info = await stat(path.join(outDir, instance.file));
      if (info.size !== instance.fileBytes) return null;
    } catch {
      return null;
    }
  }
  return manifest;
}

/**
 * Generates the demo dataset into `outDir` (created if needed) unless it is already current.
 * Only `outDir/studies/` and `outDir/manifest.json` are replaced; files are written to a
 * staging directory first, so an interrupted run never leaves a manifest pointing at missing
 * or partial files.
 */
export async function generateDemoDataset(outDir: string, options: GenerateDemoOptions = {}): Promise<DemoManifest> {
  if (!options.force) {
    const current = await currentDemoDataset(outDir, options);
    if (current) return current;
  }
  const cohort = demoCohort(cohortOptions(options));
  const version = demoDatasetVersion(options);
  await mkdir(outDir, { recursive: true });
  const staging = path.join(outDir, `.staging-${process.pid}-${Date.now().toString(36)}`);
  await rm(staging, { recursive: true, force: true });
  try {
    const total = cohort.studies.reduce((n, st) => n + st.series.reduce((m, se) => m + se.sliceCount, 0), 0);
    const instances: DemoInstance[] = [];
    for (const study of cohort.studies) {
      const patient = cohort.patients.find((p) => p.patientId === study.patientId);
      if (!patient) throw new Error(`study ${study.studyInstanceUid}: unknown patient ${study.patientId}`);
      for (const series of study.series) {
        const dir = seriesDirectory(study, series);
        await mkdir(path.join(staging, dir), { recursive: true });
        for (let sliceIndex = 0; sliceIndex < series.sliceCount; sliceIndex++) {
          const pixels = phantomSlice(series.phantom, sliceIndex);
          const codestream = encodeHtj2k(
            { width: series.phantom.columns, height: series.phantom.rows, pixels },
            HTJ2K_ENCODE_OPTIONS[series.transferSyntaxUid],
          );
          const bytes = ctImageFile(patient, study, series, sliceIndex, codestream);
          const file = `${dir}/${String(sliceIndex + 1).padStart(4, '0')}.dcm`;
          await writeFile(path.join(staging, file), bytes);
          const instance: DemoInstance = {
            file,
            studyInstanceUid: study.studyInstanceUid,
            seriesInstanceUid: series.seriesInstanceUid,
            sopInstanceUid: instanceUid(series, sliceIndex),
            instanceNumber: sliceIndex + 1,
            sliceIndex,
            transferSyntaxUid: series.transferSyntaxUid,
            codestreamBytes: codestream.length,
            fileBytes: bytes.length,
          };
          instances.push(instance);
          options.onProgress?.({ done: instances.length, total, instance });
        }
      }
    }
    const manifest: DemoManifest = {
      formatVersion: 1,
      version,
      generator: {
        generatorVersion: GENERATOR_VERSION,
        phantomVersion: PHANTOM_VERSION,
        openjphVersion: OPENJPH_VERSION,
        maxSlicesPerSeries: options.maxSlicesPerSeries ?? null,
      },
      cohort,
      instances,
      totals: {
        instances: instances.length,
        fileBytes: instances.reduce((n, i) => n + i.fileBytes, 0),
        codestreamBytes: instances.reduce((n, i) => n + i.codestreamBytes, 0),
      },
    };
    await writeFile(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    // Swap in: the old manifest goes first, the new one comes last.
    await rm(path.join(outDir, MANIFEST_FILE), { force: true });
    await rm(path.join(outDir, STUDIES_DIR), { recursive: true, force: true });
    await rename(path.join(staging, STUDIES_DIR), path.join(outDir, STUDIES_DIR));
    await rename(path.join(staging, MANIFEST_FILE), path.join(outDir, MANIFEST_FILE));
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export interface LocatedDemoInstance {
  readonly patient: DemoPatient;
  readonly study: DemoStudy;
  readonly series: DemoSeries;
  readonly instance: DemoInstance;
}

/** The instance with this SOPInstanceUID and its series, study and patient; throws if unknown. */
export function locateDemoInstance(manifest: DemoManifest, sopInstanceUid: string): LocatedDemoInstance {
  const instance = manifest.instances.find((i) => i.sopInstanceUid === sopInstanceUid);
  const study = manifest.cohort.studies.find((s) => s.studyInstanceUid === instance?.studyInstanceUid);
  const series = study?.series.find((s) => s.seriesInstanceUid === instance?.seriesInstanceUid);
  const patient = manifest.cohort.patients.find((p) => p.patientId === study?.patientId);
  if (!instance || !study || !series || !patient) throw new Error(`no demo instance ${sopInstanceUid}`);
  return { patient, study, series, instance };
}

/** The stored pixels the demo instance with this SOPInstanceUID was generated from. */
export function expectedDemoPixels(manifest: DemoManifest, sopInstanceUid: string): Int16Array {
  const { series, instance } = locateDemoInstance(manifest, sopInstanceUid);
  return phantomSlice(series.phantom, instance.sliceIndex);
}

function cohortOptions(options: Pick<GenerateDemoOptions, 'maxSlicesPerSeries'>): { maxSlicesPerSeries?: number } {
  return options.maxSlicesPerSeries === undefined ? {} : { maxSlicesPerSeries: options.maxSlicesPerSeries };
}

function seriesDirectory(study: DemoStudy, series: DemoSeries): string {
  return `${STUDIES_DIR}/${study.accessionNumber}/${String(series.seriesNumber).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------

/** DICOM AS (age string) at the study date, e.g. "062Y". */
function patientAge(birthDate: string, studyDate: string): string {
  const years = (d: string): [number, number, number] => [Number(d.slice(0, 4)), Number(d.slice(4, 6)), Number(d.slice(6, 8))];
  const [by, bm, bd] = years(birthDate);
  const [sy, sm, sd] = years(studyDate);
  const age = sy - by - (sm < bm || (sm === bm && sd < bd) ? 1 : 0);
  return `${String(age).padStart(3, '0')}Y`;
}

/** HHMMSS plus some seconds (the demo never crosses midnight by more than this handles). */
function addSeconds(time: string, seconds: number): string {
  const total = (Number(time.slice(0, 2)) * 3600 + Number(time.slice(2, 4)) * 60 + Number(time.slice(4, 6)) + seconds) % 86400;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}${pad(Math.floor(total / 60) % 60)}${pad(total % 60)}`;
}

const LUNG_WINDOW = { center: -600, width: 1500, name: 'LUNG' };
const SOFT_TISSUE_WINDOW = { center: 40, width: 400, name: 'MEDIASTINUM' };

/** One CT Image Storage instance as a Part 10 file. */
export function ctImageFile(
  patient: DemoPatient,
  study: DemoStudy,
  series: DemoSeries,
  sliceIndex: number,
  codestream: Uint8Array,
): Uint8Array {
  const spec = series.phantom;
  const geometry = phantomSliceGeometry(spec, sliceIndex);
  const sopInstanceUid = instanceUid(series, sliceIndex);
  const seriesTime = addSeconds(study.studyTime, 60 + series.seriesNumber * 30);
  const lowDose = spec.noiseSigmaHu >= 20 && series.convolutionKernel === 'Br40';
  const windows = series.convolutionKernel === 'Br64' ? [LUNG_WINDOW, SOFT_TISSUE_WINDOW] : [SOFT_TISSUE_WINDOW, LUNG_WINDOW];
  const meta: NaturalDataset = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: CT_IMAGE_STORAGE,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: series.transferSyntaxUid,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const pixelData = codestream.buffer.slice(codestream.byteOffset, codestream.byteOffset + codestream.byteLength);
  const dataset: NaturalDataset = {
    // SOP Common
    SpecificCharacterSet: 'ISO_IR 192',
    InstanceCreationDate: study.studyDate,
    InstanceCreationTime: seriesTime,
    SOPClassUID: CT_IMAGE_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    // Patient
    PatientName: patient.patientName,
    PatientID: patient.patientId,
    PatientBirthDate: patient.birthDate,
    PatientSex: patient.sex,
    // General Study, Patient Study
    StudyInstanceUID: study.studyInstanceUid,
    StudyDate: study.studyDate,
    StudyTime: study.studyTime,
    ReferringPhysicianName: study.referringPhysicianName,
    StudyID: study.studyId,
    AccessionNumber: study.accessionNumber,
    StudyDescription: study.studyDescription,
    NameOfPhysiciansReadingStudy: study.readingPhysicianName,
    PatientAge: patientAge(patient.birthDate, study.studyDate),
    // General Series
    Modality: study.modality,
    SeriesInstanceUID: series.seriesInstanceUid,
    SeriesNumber: series.seriesNumber,
    SeriesDate: study.studyDate,
    SeriesTime: seriesTime,
    SeriesDescription: series.seriesDescription,
    BodyPartExamined: 'CHEST',
    PatientPosition: 'HFS',
    // Frame of Reference
    FrameOfReferenceUID: study.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    // General Equipment
    Manufacturer: 'Reading Station',
    InstitutionName: 'Reading Station Demo Hospital',
    StationName: 'RSDEMO-CT1',
    ManufacturerModelName: 'Phantom CT',
    SoftwareVersions: `demo-generator ${GENERATOR_VERSION}`,
    PixelPaddingValue: PHANTOM_PADDING_VALUE,
    // General Image
    InstanceNumber: sliceIndex + 1,
    PatientOrientation: '',
    ContentDate: study.studyDate,
    ContentTime: seriesTime,
    AcquisitionNumber: 1,
    AcquisitionDate: study.studyDate,
    AcquisitionTime: seriesTime,
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    LossyImageCompression: '00',
    BurnedInAnnotation: 'NO',
    // Image Plane
    PixelSpacing: [...geometry.pixelSpacing],
    ImageOrientationPatient: [...geometry.imageOrientationPatient],
    ImagePositionPatient: [...geometry.imagePositionPatient],
    SliceThickness: series.sliceThicknessMm,
    SpacingBetweenSlices: spec.sliceSpacingMm,
    SliceLocation: geometry.sliceLocation,
    // Image Pixel
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: spec.rows,
    Columns: spec.columns,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    // CT Image
    RescaleIntercept: PHANTOM_RESCALE_INTERCEPT,
    RescaleSlope: PHANTOM_RESCALE_SLOPE,
    RescaleType: 'HU',
    KVP: lowDose ? 100 : 120,
    DataCollectionDiameter: 500,
    ReconstructionDiameter: spec.columns * spec.pixelSpacingMm,
    DistanceSourceToDetector: 1085.6,
    DistanceSourceToPatient: 595,
    GantryDetectorTilt: 0,
    TableHeight: 160,
    RotationDirection: 'CW',
    ExposureTime: 500,
    XRayTubeCurrent: lowDose ? 40 : 220,
    Exposure: lowDose ? 20 : 110,
    FilterType: 'BODY',
    ConvolutionKernel: series.convolutionKernel,
    // VOI LUT
    WindowCenter: windows.map((w) => w.center),
    WindowWidth: windows.map((w) => w.width),
    WindowCenterWidthExplanation: windows.map((w) => w.name),
    // Pixel data: one fragment for the one frame
    PixelData: [pixelData],
    _vrMap: { PixelData: 'OB', PixelPaddingValue: 'SS' },
  };
  return writePart10(meta, dataset);
}
