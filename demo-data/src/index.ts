// The public surface of @reading-station/demo-data: the demo cohort (patients, users, studies,
// series and who may see what), the deterministic CT phantom, HTJ2K encoding and decoding, DICOM
// Part 10 files, the generated dataset and its manifest, and the multipart/related parser tests
// read DICOMweb frames with.
//
// Importing it instantiates the OpenJPH WASM module once (htj2k.ts, top-level await).

export {
  CT_IMAGE_STORAGE,
  HOSTILE_IMG,
  HOSTILE_SCRIPT,
  HTJ2K_LOSSLESS,
  HTJ2K_LOSSLESS_RPCL,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  demoCohort,
  instanceUid,
  studyRelation,
} from './cohort.ts';
export type {
  DemoCohort,
  DemoCohortOptions,
  DemoPatient,
  DemoRole,
  DemoSeries,
  DemoStudy,
  DemoStudyRelation,
  DemoStudyStatus,
  DemoTransferSyntax,
  DemoUser,
} from './cohort.ts';

export {
  PHANTOM_PADDING_VALUE,
  PHANTOM_RESCALE_INTERCEPT,
  PHANTOM_RESCALE_SLOPE,
  PHANTOM_VERSION,
  phantomSlice,
  phantomSliceGeometry,
} from './phantom.ts';
export type { PhantomAnatomy, PhantomNodule, PhantomSliceGeometry, PhantomSpec } from './phantom.ts';

export { HTJ2K_ENCODE_OPTIONS, OPENJPH_VERSION, decodeHtj2k, encodeHtj2k, inspectHtj2kCodestream } from './htj2k.ts';
export type { CodestreamInfo, Htj2kEncodeOptions, Htj2kImage, ProgressionOrder } from './htj2k.ts';

export { readPart10, writePart10 } from './part10.ts';
export type { NaturalDataset, Part10File } from './part10.ts';

export { isValidDicomUid, uidFromName } from './uid.ts';

export {
  MANIFEST_FILE,
  ctImageFile,
  currentDemoDataset,
  demoDatasetVersion,
  expectedDemoPixels,
  generateDemoDataset,
  locateDemoInstance,
  readDemoManifest,
} from './generate.ts';
export type { DemoInstance, DemoManifest, DemoProgress, GenerateDemoOptions, LocatedDemoInstance } from './generate.ts';
export { demoManifestSchema } from './manifest-schema.ts';

export { MultipartParseError, parseMediaType, parseMultipartRelated } from './multipart.ts';
export type { MediaType, MultipartPart } from './multipart.ts';
