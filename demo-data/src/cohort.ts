/**
 * The demo cohort as data: patients, users of every role, CT studies and their series, and who
 * ordered and who reads each study. Everything is fixed here, so every machine gets the same
 * UIDs, names and relations; `generate.ts` turns it into DICOM files.
 *
 * Relations the tests rely on (checked in cohort.test.ts):
 *  - dr.house ordered three studies; dr.grey ordered the other three (each doctor has studies
 *    that are not theirs);
 *  - rad.chen and rad.okafor each read three studies, never the same ones;
 *  - patient RS-P0001 (pat.doe) has three studies, the others one each;
 *  - every user except the admin has at least one study they are not related to;
 *  - nurse.joy and lab.kim are related to no study.
 * One patient and study carry hostile strings (script and img tags) so that every screen's
 * escaping can be tested with data that really went through DICOM, Orthanc and the database.
 */
import type { Role } from '@reading-station/contract';
import type { PhantomAnatomy, PhantomSpec } from './phantom.ts';
import { uidFromName } from './uid.ts';

export const HTJ2K_LOSSLESS = '1.2.840.10008.1.2.4.201';
export const HTJ2K_LOSSLESS_RPCL = '1.2.840.10008.1.2.4.202';
export type DemoTransferSyntax = typeof HTJ2K_LOSSLESS | typeof HTJ2K_LOSSLESS_RPCL;

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

export const HOSTILE_SCRIPT = '<script>alert(1)</script>';
export const HOSTILE_IMG = '<img src=x onerror=alert(1)>';

/** The demo cohort has a user of every role the contract names. */
export type DemoRole = Role;

export interface DemoUser {
  /** Stable login name. */
  readonly username: string;
  readonly role: DemoRole;
  readonly displayName: string;
  /** The DICOM PatientID of a patient account; null for staff. */
  readonly patientId: string | null;
}

export interface DemoPatient {
  /** DICOM PatientID (LO). */
  readonly patientId: string;
  /** DICOM PatientName (PN), `FAMILY^GIVEN`. */
  readonly patientName: string;
  /** YYYYMMDD. */
  readonly birthDate: string;
  readonly sex: 'F' | 'M' | 'O';
  /** The patient's own account. */
  readonly username: string;
}

export type DemoStudyStatus = 'unread' | 'reported';

export interface DemoSeries {
  readonly seriesInstanceUid: string;
  readonly seriesNumber: number;
  readonly seriesDescription: string;
  readonly transferSyntaxUid: DemoTransferSyntax;
  readonly sliceCount: number;
  /** Slice thickness = spacing between slice centres (contiguous slices), mm. */
  readonly sliceThicknessMm: number;
  readonly convolutionKernel: string;
  /** Everything that determines the pixels: `phantomSlice(phantom, sliceIndex)`. */
  readonly phantom: PhantomSpec;
}

export interface DemoStudy {
  readonly studyInstanceUid: string;
  readonly patientId: string;
  /** DICOM AccessionNumber (SH, ≤ 16 characters). */
  readonly accessionNumber: string;
  /** DICOM StudyID (SH). */
  readonly studyId: string;
  /** YYYYMMDD. */
  readonly studyDate: string;
  /** HHMMSS. */
  readonly studyTime: string;
  readonly studyDescription: string;
  readonly modality: 'CT';
  /** DICOM ReferringPhysicianName (PN) of the ordering physician. */
  readonly referringPhysicianName: string;
  /** Username of the doctor who ordered the study. */
  readonly orderingPhysician: string;
  /** Username of the radiologist who reads the study. */
  readonly radiologist: string;
  /** DICOM NameOfPhysiciansReadingStudy (PN) of that radiologist. */
  readonly readingPhysicianName: string;
  readonly status: DemoStudyStatus;
  readonly frameOfReferenceUid: string;
  readonly series: readonly DemoSeries[];
}

export interface DemoCohort {
  readonly users: readonly DemoUser[];
  readonly patients: readonly DemoPatient[];
  readonly studies: readonly DemoStudy[];
}

/** How a user is related to a study (what the access policy looks at), or null. */
export type DemoStudyRelation = 'ordering-physician' | 'radiologist' | 'own-study' | null;

export function studyRelation(user: DemoUser, study: DemoStudy): DemoStudyRelation {
  if (user.role === 'doctor' && study.orderingPhysician === user.username) return 'ordering-physician';
  if (user.role === 'radiologist' && study.radiologist === user.username) return 'radiologist';
  if (user.role === 'patient' && user.patientId !== null && study.patientId === user.patientId) return 'own-study';
  return null;
}

/** The SOPInstanceUID of slice `sliceIndex` (0-based) of a series. */
export function instanceUid(series: DemoSeries, sliceIndex: number): string {
  return uidFromName(`reading-station/demo/instance/${series.seriesInstanceUid}/${sliceIndex}`);
}

/** Identifies this software in the files' meta header. */
export const IMPLEMENTATION_CLASS_UID = uidFromName('reading-station/implementation');
export const IMPLEMENTATION_VERSION_NAME = 'READINGSTN_1';

// ---------------------------------------------------------------------------------------------

const USERS: readonly DemoUser[] = [
  { username: 'admin', role: 'admin', displayName: 'Avery Admin', patientId: null },
  { username: 'rad.chen', role: 'radiologist', displayName: 'Dr. Mei Chen', patientId: null },
  { username: 'rad.okafor', role: 'radiologist', displayName: 'Dr. Chidi Okafor', patientId: null },
  { username: 'dr.house', role: 'doctor', displayName: 'Dr. Gregory House', patientId: null },
  { username: 'dr.grey', role: 'doctor', displayName: 'Dr. Meredith Grey', patientId: null },
  { username: 'nurse.joy', role: 'nurse', displayName: 'Joy Martins', patientId: null },
  { username: 'lab.kim', role: 'lab', displayName: 'Kim Novak', patientId: null },
  { username: 'pat.doe', role: 'patient', displayName: 'Jane Doe', patientId: 'RS-P0001' },
  { username: 'pat.smith', role: 'patient', displayName: 'John Smith', patientId: 'RS-P0002' },
  {
    username: 'pat.mallory',
    role: 'patient',
    displayName: `${HOSTILE_SCRIPT} Mallory ${HOSTILE_IMG}`,
    patientId: 'RS-P0003',
  },
  { username: 'pat.obrien', role: 'patient', displayName: "Seán O'Brien", patientId: 'RS-P0004' },
];

/** DICOM PN of the physicians (ReferringPhysicianName, NameOfPhysiciansReadingStudy). */
const PHYSICIAN_PN: Readonly<Record<string, string>> = {
  'dr.house': 'HOUSE^GREGORY^^DR',
  'dr.grey': 'GREY^MEREDITH^^DR',
  'rad.chen': 'CHEN^MEI^^DR',
  'rad.okafor': 'OKAFOR^CHIDI^^DR',
};

const PATIENTS: readonly DemoPatient[] = [
  { patientId: 'RS-P0001', patientName: 'DOE^JANE', birthDate: '19620714', sex: 'F', username: 'pat.doe' },
  { patientId: 'RS-P0002', patientName: 'SMITH^JOHN', birthDate: '19550302', sex: 'M', username: 'pat.smith' },
  // `=` separates PN component groups and cannot be data in a name, so the img payload lives in
  // the study and series descriptions and in the account's display name instead.
  {
    patientId: 'RS-P0003',
    patientName: `${HOSTILE_SCRIPT}^Mallory`,
    birthDate: '19800101',
    sex: 'O',
    username: 'pat.mallory',
  },
  // Non-ASCII and an apostrophe: the files use UTF-8 (SpecificCharacterSet ISO_IR 192).
  { patientId: 'RS-P0004', patientName: "O'BRIEN^SEÁN", birthDate: '19781123', sex: 'M', username: 'pat.obrien' },
];

/** Each patient's build; studies vary it (contrast, nodule growth). */
const PATIENT_ANATOMY: Readonly<Record<string, PhantomAnatomy>> = {
  'RS-P0001': {
    bodyWidthMm: 312,
    bodyDepthMm: 214,
    fatThicknessMm: 16,
    lungScale: 0.97,
    heartScale: 0.92,
    heartShiftMm: 2,
    aortaDiameterMm: 26,
    contrastHu: 210,
    nodule: { xMm: -68, yMm: 22, levelMm: 132, diameterMm: 7 },
  },
  'RS-P0002': {
    bodyWidthMm: 352,
    bodyDepthMm: 252,
    fatThicknessMm: 24,
    lungScale: 1.03,
    heartScale: 1.12,
    heartShiftMm: 6,
    aortaDiameterMm: 33,
    contrastHu: 220,
    nodule: null,
  },
  'RS-P0003': {
    bodyWidthMm: 326,
    bodyDepthMm: 226,
    fatThicknessMm: 12,
    lungScale: 1,
    heartScale: 1,
    heartShiftMm: -2,
    aortaDiameterMm: 28,
    contrastHu: 200,
    nodule: { xMm: 74, yMm: -10, levelMm: 118, diameterMm: 11 },
  },
  'RS-P0004': {
    bodyWidthMm: 338,
    bodyDepthMm: 236,
    fatThicknessMm: 14,
    lungScale: 1.05,
    heartScale: 1.04,
    heartShiftMm: 0,
    aortaDiameterMm: 30,
    contrastHu: 330,
    nodule: null,
  },
};

interface SeriesPlan {
  readonly description: string;
  readonly transferSyntaxUid: DemoTransferSyntax;
  readonly sliceCount: number;
  readonly kernel: string;
  /** Millimetres below the lung apex of slice 0. */
  readonly startLevelMm: number;
  readonly noiseSigmaHu: number;
}

interface StudyPlan {
  readonly key: string;
  readonly patientId: string;
  readonly accessionNumber: string;
  readonly studyDate: string;
  readonly studyTime: string;
  readonly description: string;
  readonly orderingPhysician: string;
  readonly radiologist: string;
  readonly status: DemoStudyStatus;
  readonly pixelSpacingMm: number;
  /** Table position of the lung apex, mm. */
  readonly apexZMm: number;
  readonly anatomy: Partial<PhantomAnatomy>;
  readonly series: readonly SeriesPlan[];
}

const SLICE_MM = 2.5;

const STUDIES: readonly StudyPlan[] = [
  {
    key: 'doe-2024-03-chest',
    patientId: 'RS-P0001',
    accessionNumber: 'RS24031201',
    studyDate: '20240312',
    studyTime: '091412',
    description: 'CT CHEST WITH CONTRAST',
    orderingPhysician: 'dr.house',
    radiologist: 'rad.chen',
    status: 'reported',
    pixelSpacingMm: 0.703125,
    apexZMm: -42.5,
    anatomy: {},
    series: [
      { description: 'Thorax 2.5mm soft tissue', transferSyntaxUid: HTJ2K_LOSSLESS, sliceCount: 80, kernel: 'Br40', startLevelMm: 20, noiseSigmaHu: 10 },
      { description: 'Thorax 2.5mm lung', transferSyntaxUid: HTJ2K_LOSSLESS, sliceCount: 80, kernel: 'Br64', startLevelMm: 20, noiseSigmaHu: 24 },
    ],
  },
  {
    key: 'doe-2024-09-followup',
    patientId: 'RS-P0001',
    accessionNumber: 'RS24093007',
    studyDate: '20240930',
    studyTime: '141503',
    description: 'CT CHEST FOLLOW-UP NODULE',
    orderingPhysician: 'dr.house',
    radiologist: 'rad.okafor',
    status: 'reported',
    pixelSpacingMm: 0.703125,
    apexZMm: -51,
    anatomy: { contrastHu: 0, nodule: { xMm: -68, yMm: 22, levelMm: 132, diameterMm: 9 } },
    series: [
      { description: 'Thorax 2.5mm RPCL', transferSyntaxUid: HTJ2K_LOSSLESS_RPCL, sliceCount: 80, kernel: 'Br40', startLevelMm: 40, noiseSigmaHu: 12 },
    ],
  },
  {
    key: 'doe-2025-02-lowdose',
    patientId: 'RS-P0001',
    accessionNumber: 'RS25021403',
    studyDate: '20250214',
    studyTime: '103027',
    description: 'CT THORAX LOW DOSE',
    orderingPhysician: 'dr.grey',
    radiologist: 'rad.chen',
    status: 'unread',
    pixelSpacingMm: 0.68359375,
    apexZMm: -38,
    anatomy: { contrastHu: 0, nodule: { xMm: -68, yMm: 22, levelMm: 132, diameterMm: 12 } },
    series: [
      { description: 'Thorax LD 2.5mm', transferSyntaxUid: HTJ2K_LOSSLESS, sliceCount: 80, kernel: 'Br40', startLevelMm: 30, noiseSigmaHu: 22 },
    ],
  },
  {
    key: 'smith-2025-01-chest-abdomen',
    patientId: 'RS-P0002',
    accessionNumber: 'RS25010811',
    studyDate: '20250108',
    studyTime: '081955',
    description: 'CT CHEST ABDOMEN WITH CONTRAST',
    orderingPhysician: 'dr.house',
    radiologist: 'rad.okafor',
    status: 'unread',
    pixelSpacingMm: 0.78125,
    apexZMm: -60,
    anatomy: {},
    series: [
      { description: 'Chest 2.5mm', transferSyntaxUid: HTJ2K_LOSSLESS, sliceCount: 80, kernel: 'Br40', startLevelMm: 10, noiseSigmaHu: 12 },
      { description: 'Upper abdomen 2.5mm', transferSyntaxUid: HTJ2K_LOSSLESS, sliceCount: 60, kernel: 'Br40', startLevelMm: 160, noiseSigmaHu: 12 },
    ],
  },
  {
    key: 'mallory-2025-03-hostile',
    patientId: 'RS-P0003',
    accessionNumber: 'RS25030302',
    studyDate: '20250303',
    studyTime: '162244',
    description: `CT ${HOSTILE_SCRIPT}${HOSTILE_IMG}`,
    orderingPhysician: 'dr.grey',
    radiologist: 'rad.chen',
    status: 'unread',
    pixelSpacingMm: 0.7265625,
    apexZMm: -47.5,
    anatomy: {},
    series: [
      { description: HOSTILE_IMG, transferSyntaxUid: HTJ2K_LOSSLESS, sliceCount: 60, kernel: 'Br40', startLevelMm: 60, noiseSigmaHu: 11 },
    ],
  },
  {
    key: 'obrien-2025-04-cta',
    patientId: 'RS-P0004',
    accessionNumber: 'RS25042219',
    studyDate: '20250422',
    studyTime: '231108',
    description: 'CT PULMONARY ANGIOGRAM',
    orderingPhysician: 'dr.grey',
    radiologist: 'rad.okafor',
    status: 'unread',
    pixelSpacingMm: 0.7421875,
    apexZMm: -55,
    anatomy: {},
    series: [
      { description: 'CTPA 2.5mm', transferSyntaxUid: HTJ2K_LOSSLESS, sliceCount: 80, kernel: 'Bv40', startLevelMm: 25, noiseSigmaHu: 13 },
    ],
  },
];

/** A 32-bit seed from a name (FNV-1a), so that each series has its own noise. */
function seedFromName(name: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    h = Math.imul(h ^ byte, 0x01000193);
  }
  return h >>> 0;
}

function buildStudy(plan: StudyPlan): DemoStudy {
  const base = PATIENT_ANATOMY[plan.patientId];
  const referring = PHYSICIAN_PN[plan.orderingPhysician];
  const reading = PHYSICIAN_PN[plan.radiologist];
  if (!base || !referring || !reading) throw new Error(`demo study ${plan.key}: unknown patient or physician`);
  const anatomy: PhantomAnatomy = { ...base, ...plan.anatomy };
  const studyInstanceUid = uidFromName(`reading-station/demo/study/${plan.key}`);
  const series = plan.series.map((s, index): DemoSeries => {
    const seriesNumber = index + 1;
    const seed = seedFromName(`${plan.key}/${seriesNumber}`);
    return {
      seriesInstanceUid: uidFromName(`reading-station/demo/series/${plan.key}/${seriesNumber}`),
      seriesNumber,
      seriesDescription: s.description,
      transferSyntaxUid: s.transferSyntaxUid,
      sliceCount: s.sliceCount,
      sliceThicknessMm: SLICE_MM,
      convolutionKernel: s.kernel,
      phantom: {
        seed,
        rows: 512,
        columns: 512,
        pixelSpacingMm: plan.pixelSpacingMm,
        sliceSpacingMm: SLICE_MM,
        firstSliceZMm: plan.apexZMm - s.startLevelMm,
        apexZMm: plan.apexZMm,
        noiseSigmaHu: s.noiseSigmaHu,
        anatomy,
      },
    };
  });
  return {
    studyInstanceUid,
    patientId: plan.patientId,
    accessionNumber: plan.accessionNumber,
    studyId: plan.accessionNumber.slice(-4),
    studyDate: plan.studyDate,
    studyTime: plan.studyTime,
    studyDescription: plan.description,
    modality: 'CT',
    referringPhysicianName: referring,
    orderingPhysician: plan.orderingPhysician,
    radiologist: plan.radiologist,
    readingPhysicianName: reading,
    status: plan.status,
    frameOfReferenceUid: uidFromName(`reading-station/demo/frame-of-reference/${plan.key}`),
    series,
  };
}

export interface DemoCohortOptions {
  /**
   * Keep only the first N slices of every series (tests use a few to stay fast). The slices
   * kept are identical to the full series' first N.
   */
  readonly maxSlicesPerSeries?: number;
}

/** The demo cohort; the same on every call (fresh objects). */
export function demoCohort(options: DemoCohortOptions = {}): DemoCohort {
  const limit = options.maxSlicesPerSeries;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new RangeError(`maxSlicesPerSeries must be a positive integer, got ${limit}`);
  }
  const studies = STUDIES.map(buildStudy).map((study) =>
    limit === undefined
      ? study
      : { ...study, series: study.series.map((s) => ({ ...s, sliceCount: Math.min(s.sliceCount, limit) })) },
  );
  return { users: USERS.map((u) => ({ ...u })), patients: PATIENTS.map((p) => ({ ...p })), studies };
}
