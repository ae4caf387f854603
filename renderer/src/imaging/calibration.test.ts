import { measurementValuesSchema } from '@reading-station/contract';
import { describe, expect, it } from 'vitest';
import { calibratedValues, calibrationFrom, parseKnownLength, type CalibrationLine } from './calibration.ts';

const line = (measured: number, unit: string, headerPixelMm: number | null = null): CalibrationLine => ({
  studyInstanceUid: '1.2',
  seriesInstanceUid: '1.2.3',
  measured,
  unit,
  headerPixelMm,
});

function calibrated(measured: number, unit: string, knownMm: number, headerPixelMm: number | null = null) {
  const result = calibrationFrom(line(measured, unit, headerPixelMm), knownMm);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

describe('parseKnownLength', () => {
  it('takes a positive decimal number of mm, with a decimal comma or a trailing "mm"', () => {
    expect(parseKnownLength('25')).toEqual({ ok: true, value: 25 });
    expect(parseKnownLength(' 12.5 ')).toEqual({ ok: true, value: 12.5 });
    expect(parseKnownLength('12,5')).toEqual({ ok: true, value: 12.5 });
    expect(parseKnownLength('30 mm')).toEqual({ ok: true, value: 30 });
    expect(parseKnownLength('.5')).toEqual({ ok: true, value: 0.5 });
  });

  it('refuses anything else with a message saying what to enter', () => {
    const refused = (text: string) => {
      const result = parseKnownLength(text);
      return result.ok ? null : result.message;
    };
    expect(refused('')).toBe('Enter the true length of the line in mm.');
    expect(refused('0')).toBe('The length must be greater than 0 mm.');
    expect(refused('-5')).toBe('The length must be greater than 0 mm.');
    for (const text of ['abc', '1e3', 'Infinity', 'NaN', '5 cm', '1.2.3', '0x10']) expect(refused(text)).toMatch(/is not a length: enter a positive number of mm/);
    expect(refused('0.05')).toBe('The length must be between 0.1 mm and 1000 mm.');
    expect(refused('1000.5')).toBe('The length must be between 0.1 mm and 1000 mm.');
    expect(refused('9'.repeat(400))).toBe('The length must be between 0.1 mm and 1000 mm.');
  });
});

describe('calibrationFrom', () => {
  it('makes mm per pixel from a line on an image without spacing', () => {
    const calibration = calibrated(100, 'px', 25);
    expect(calibration).toMatchObject({ rawUnit: 'px', mmPerUnit: 0.25, pixelMm: 0.25, reference: { measured: 100, knownMm: 25 } });
  });

  it('corrects the detector mm of a radiograph: the pixel size becomes the patient\'s', () => {
    // 100 px of 0.2 mm at the detector measure 20 mm; the object is 16 mm (magnification 1.25).
    const calibration = calibrated(20, 'mm', 16, 0.2);
    expect(calibration.rawUnit).toBe('mm');
    expect(calibration.mmPerUnit).toBeCloseTo(0.8, 10);
    expect(calibration.pixelMm).toBeCloseTo(0.16, 10);
  });

  it('refuses a line too short to aim, a pixel size no image has, and units it cannot scale', () => {
    const refused = (l: CalibrationLine, knownMm: number) => {
      const result = calibrationFrom(l, knownMm);
      return result.ok ? null : result.message;
    };
    expect(refused(line(6, 'px'), 5)).toBe('The line is 6.0 px long: draw one of at least 10 px, over the whole object.');
    // 1.6 mm at the detector over 0.2 mm pixels: 8 px.
    expect(refused(line(1.6, 'mm', 0.2), 5)).toMatch(/^The line is 8\.0 px long/);
    expect(refused(line(100, 'px'), 0.1)).toMatch(/would make a pixel 0\.001 mm, outside 0\.005–10 mm/);
    expect(refused(line(20, 'px'), 1000)).toMatch(/would make a pixel 50 mm/);
    expect(refused(line(100, 'HU'), 25)).toBe('This image is measured in HU; it cannot be calibrated.');
    expect(refused(line(Number.NaN, 'px'), 25)).toBe('The line could not be measured. Draw it again.');
    expect(refused(line(20, 'mm', null), 25)).toBe('The line could not be measured. Draw it again.');
  });
});

describe('calibratedValues', () => {
  const calibration = calibrated(100, 'px', 25);

  it('turns lengths and areas in the raw unit into mm and mm², marked as the user\'s calibration', () => {
    expect(calibratedValues({ kind: 'length', length: 40, unit: 'px' }, calibration)).toEqual({ kind: 'length', length: 10, unit: 'mm', calibration: 'user' });
    expect(calibratedValues({ kind: 'roi', area: 400, areaUnit: 'px²', mean: 12, stdDev: 3, modalityUnit: '' }, calibration)).toEqual({
      kind: 'roi',
      area: 25,
      areaUnit: 'mm²',
      mean: 12,
      stdDev: 3,
      modalityUnit: '',
      calibration: 'user',
    });
  });

  it('makes values the contract accepts, which say the mm are the user\'s calibration and nothing else', () => {
    const values = calibratedValues({ kind: 'length', length: 40, unit: 'px' }, calibration);
    expect(measurementValuesSchema.parse(values)).toEqual({ kind: 'length', length: 10, unit: 'mm', calibration: 'user' });
    expect(measurementValuesSchema.safeParse({ ...values, calibration: 'header' }).success).toBe(false);
  });

  it('leaves angles, pixel values, other units and uncalibrated series alone', () => {
    const angle = { kind: 'angle', angle: 30, unit: '°' } as const;
    const probe = { kind: 'probe', value: 7, modalityUnit: '', column: 1, row: 2 } as const;
    const mm = { kind: 'length', length: 40, unit: 'mm' } as const;
    expect(calibratedValues(angle, calibration)).toBe(angle);
    expect(calibratedValues(probe, calibration)).toBe(probe);
    expect(calibratedValues(mm, calibration)).toBe(mm);
    expect(calibratedValues({ kind: 'length', length: 40, unit: 'px' }, null)).toEqual({ kind: 'length', length: 40, unit: 'px' });
  });
});
