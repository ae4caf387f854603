import { measurementRecordSchema } from '@reading-station/contract';
import { describe, expect, it } from 'vitest';
import { imageIndexOf, imageKeyOf, measurementLines, measurementText, textLinesFor, valuesFromStats } from './measurements.ts';

const BASE = 'wadors:https://pacs.example/api/ris/dicom-web/studies/1.2.3/series/1.2.3.4/instances';

describe('measurement values', () => {
  it('reads lengths, angles, ROIs and probes with their units from Cornerstone’s statistics', () => {
    expect(valuesFromStats('Length', { 'imageId:x': { length: 42.349, unit: 'mm' } })).toEqual({ kind: 'length', length: 42.349, unit: 'mm' });
    expect(valuesFromStats('Angle', { t: { angle: 37.46 } })).toEqual({ kind: 'angle', angle: 37.46, unit: '°' });
    expect(valuesFromStats('EllipticalROI', { t: { area: 120.44, areaUnit: 'mm²', mean: 38.21, stdDev: 9.9, modalityUnit: 'HU' } })).toEqual({
      kind: 'roi',
      area: 120.44,
      areaUnit: 'mm²',
      mean: 38.21,
      stdDev: 9.9,
      modalityUnit: 'HU',
    });
    expect(valuesFromStats('Probe', { t: { index: [120, 200, 0], value: -873, modalityUnit: 'HU' } })).toEqual({
      kind: 'probe',
      value: -873,
      modalityUnit: 'HU',
      column: 120,
      row: 200,
    });
  });

  it('skips incomplete statistics and unknown tools', () => {
    expect(valuesFromStats('Length', { t: { length: null } })).toBeNull();
    expect(valuesFromStats('Angle', { t: { angle: 'Incomplete Angle' } })).toBeNull();
    expect(valuesFromStats('Probe', { t: { value: 1 } })).toBeNull();
    expect(valuesFromStats('Bidirectional', { t: { length: 1 } })).toBeNull();
    expect(valuesFromStats('Length', undefined)).toBeNull();
  });
});

describe('measurement words', () => {
  it('words every value to one decimal (a probe’s whole HU as is), the same on the image and in the list', () => {
    // 118.5 mm: Cornerstone's own rounding draws "119 mm" above 100; ours keeps the decimal.
    expect(measurementLines({ kind: 'length', length: 118.46, unit: 'mm' })).toEqual(['118.5 mm']);
    expect(measurementText({ kind: 'angle', angle: 37.46, unit: '°' })).toBe('37.5°');
    expect(measurementText({ kind: 'roi', area: 120.44, areaUnit: 'mm²', mean: -0.02, stdDev: 9.94, modalityUnit: 'HU' })).toBe('area 120.4 mm² · mean 0.0 HU · SD 9.9');
    expect(measurementText({ kind: 'probe', value: -873, modalityUnit: 'HU', column: 120, row: 200 })).toBe('-873 HU · x 120 y 200');
    expect(measurementText({ kind: 'probe', value: 12.345, modalityUnit: '', column: 1, row: 2 })).toBe('12.3 · x 1 y 2');
  });

  it('gives Cornerstone the list’s lines for the target drawn, and nothing while incomplete', () => {
    const lines = textLinesFor('Length');
    expect(lines({ cachedStats: { 'imageId:a': { length: 118.46, unit: 'mm' }, 'imageId:b': { length: 5, unit: 'mm' } } }, 'imageId:b')).toEqual(['5.0 mm']);
    expect(lines({ cachedStats: { 'imageId:a': { length: 118.46, unit: 'mm' } } }, 'imageId:a')).toEqual(measurementLines({ kind: 'length', length: 118.46, unit: 'mm' }));
    expect(textLinesFor('Angle')({ cachedStats: { t: {} } }, 't')).toBeUndefined();
    expect(lines({}, 't')).toBeUndefined();
  });
});

describe('where a measurement is', () => {
  it('names study, series, instance and frame of single- and multi-frame imageIds', () => {
    expect(imageKeyOf(`${BASE}/1.2.3.4.5/frames/1`)).toEqual({ studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4', sopInstanceUid: '1.2.3.4.5', frameNumber: 1 });
    expect(imageKeyOf(`wadors-frames:https://pacs.example/studies/1.2/series/1.3/instances/1.4/frames/17`)?.frameNumber).toBe(17);
    expect(imageKeyOf('wadouri:https://pacs.example/file.dcm')).toBeNull();
  });

  it('finds its slice in a series by instance and frame', () => {
    const imageIds = [`${BASE}/1.9/frames/1`, `${BASE}/1.8/frames/1`, `${BASE}/1.8/frames/2`];
    expect(imageIndexOf(imageIds, { sopInstanceUid: '1.8', frameNumber: 2 })).toBe(2);
    expect(imageIndexOf(imageIds, { sopInstanceUid: '1.9', frameNumber: 1 })).toBe(0);
    expect(imageIndexOf(imageIds, { sopInstanceUid: '1.7', frameNumber: 1 })).toBeNull();
  });

  it('is a plain record the contract’s schema accepts after a JSON round trip', () => {
    const record = {
      id: 'a1',
      ...imageKeyOf(`${BASE}/1.2.3.4.5/frames/1`),
      points: [
        [1.5, -2, 30] as [number, number, number],
        [10, -2, 30] as [number, number, number],
      ],
      values: valuesFromStats('Length', { t: { length: 8.5, unit: 'mm' } }),
    };
    expect(measurementRecordSchema.parse(JSON.parse(JSON.stringify(record)))).toEqual(record);
    expect(measurementRecordSchema.safeParse({ ...record, frameNumber: 0 }).success).toBe(false);
    expect(measurementRecordSchema.safeParse({ ...record, values: { kind: 'length', length: 'x', unit: 'mm' } }).success).toBe(false);
  });
});
