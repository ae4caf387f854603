import { describe, expect, it } from 'vitest';
import type { DicomJsonObject } from '../dicom/dicom-json.ts';
import { pixelSpacingOf } from './frame-info.ts';

const ds = (values: Record<string, unknown[]>): DicomJsonObject =>
  Object.fromEntries(Object.entries(values).map(([tag, Value]) => [tag, { vr: tag === '00280A02' ? 'CS' : 'DS', Value }]));
const PIXEL = '00280030';
const IMAGER = '00181164';

describe('pixelSpacingOf', () => {
  it('a CT: PixelSpacing is in the patient', () => {
    expect(pixelSpacingOf(ds({ [PIXEL]: [0.7, 0.7] }), 1)).toEqual({ kind: 'patient', rowMm: 0.7, columnMm: 0.7 });
  });

  it('a radiograph with ImagerPixelSpacing only: millimetres at the detector', () => {
    expect(pixelSpacingOf(ds({ [IMAGER]: [0.2, 0.15] }), 1)).toEqual({ kind: 'detector', rowMm: 0.2, columnMm: 0.15 });
  });

  it('PixelSpacing equal to the detector’s without a calibration type is still the detector’s', () => {
    expect(pixelSpacingOf(ds({ [PIXEL]: [0.2, 0.2], [IMAGER]: [0.2, 0.2] }), 1).kind).toBe('detector');
  });

  it('PixelSpacing calibrated to the patient (a calibration type, or a value other than the detector’s)', () => {
    expect(pixelSpacingOf(ds({ [PIXEL]: [0.2, 0.2], [IMAGER]: [0.2, 0.2], '00280A02': ['GEOMETRY'] }), 1).kind).toBe('calibrated');
    expect(pixelSpacingOf(ds({ [PIXEL]: [0.18, 0.18], [IMAGER]: [0.2, 0.2] }), 1)).toEqual({ kind: 'calibrated', rowMm: 0.18, columnMm: 0.18 });
  });

  it('no spacing at all (or a nonsensical one): lengths in pixels', () => {
    expect(pixelSpacingOf(ds({}), 1).kind).toBe('none');
    expect(pixelSpacingOf(ds({ [PIXEL]: [0, 0] }), 1).kind).toBe('none');
  });
});
