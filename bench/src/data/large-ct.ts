import {
  CT_IMAGE_STORAGE,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  uidFromName,
  writePart10,
  type NaturalDataset,
} from '@reading-station/demo-data';

/** Explicit VR little endian: the frame is stored and served uncompressed. */
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const LARGE_FRAME_SIZE = 2048;

/** The UIDs of the one large bench instance; derived from names, the same on every run. */
export const largeCt = {
  patientId: 'RS-BENCH-0001',
  studyInstanceUid: uidFromName('reading-station/bench/large-ct/study'),
  seriesInstanceUid: uidFromName('reading-station/bench/large-ct/series'),
  sopInstanceUid: uidFromName('reading-station/bench/large-ct/instance'),
  frameBytes: LARGE_FRAME_SIZE * LARGE_FRAME_SIZE * 2,
} as const;

/**
 * A 2048×2048 signed 16-bit frame: soft-tissue disc with rings and a little seeded noise, so the
 * pixels are plausible CT values (HU) rather than zeros a transport could compress away.
 */
function largeFramePixels(): Int16Array {
  const n = LARGE_FRAME_SIZE;
  const pixels = new Int16Array(n * n);
  let seed = 0x2545f491;
  const noise = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return ((seed >>> 16) % 41) - 20;
  };
  const c = n / 2;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const r = Math.hypot(x - c, y - c) / c;
      const base = r > 0.92 ? -1000 : r > 0.85 ? -100 : 40 + Math.round(30 * Math.sin(r * 40));
      pixels[y * n + x] = base + noise();
    }
  }
  return pixels;
}

/** The Part 10 file of the large bench instance (about 8 MiB). */
export function largeCtInstance(): Uint8Array {
  const pixels = largeFramePixels();
  const meta: NaturalDataset = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: CT_IMAGE_STORAGE,
    MediaStorageSOPInstanceUID: largeCt.sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const dataset: NaturalDataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: CT_IMAGE_STORAGE,
    SOPInstanceUID: largeCt.sopInstanceUid,
    PatientName: 'Bench^Large Frame',
    PatientID: largeCt.patientId,
    PatientBirthDate: '19700101',
    PatientSex: 'O',
    StudyInstanceUID: largeCt.studyInstanceUid,
    StudyDate: '20260101',
    StudyTime: '120000',
    ReferringPhysicianName: '',
    StudyID: 'BENCH1',
    AccessionNumber: 'BENCH-LARGE',
    StudyDescription: 'Bench: one 2048x2048 uncompressed CT frame',
    Modality: 'CT',
    SeriesInstanceUID: largeCt.seriesInstanceUid,
    SeriesNumber: 1,
    SeriesDescription: 'Large uncompressed frame',
    FrameOfReferenceUID: uidFromName('reading-station/bench/large-ct/frame-of-reference'),
    PositionReferenceIndicator: '',
    Manufacturer: 'Reading Station',
    InstanceNumber: 1,
    PatientOrientation: '',
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    PixelSpacing: [0.2, 0.2],
    ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
    ImagePositionPatient: [-204.8, -204.8, 0],
    SliceThickness: 1,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: LARGE_FRAME_SIZE,
    Columns: LARGE_FRAME_SIZE,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    RescaleIntercept: 0,
    RescaleSlope: 1,
    RescaleType: 'HU',
    KVP: 120,
    WindowCenter: [40],
    WindowWidth: [400],
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OW' },
  };
  return writePart10(meta, dataset);
}
