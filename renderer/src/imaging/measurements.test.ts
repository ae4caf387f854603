import { describe, expect, it } from 'vitest';
import { summariseMeasurement } from './measurements.ts';

describe('measurement summaries', () => {
  it('words lengths, angles and ROIs with their units', () => {
    expect(summariseMeasurement('Length', 'a', { 'imageId:x': { length: 42.349, unit: 'mm' } }, 3)).toEqual({
      id: 'a',
      kind: 'length',
      text: '42.3 mm',
      imageIndex: 3,
    });
    expect(summariseMeasurement('Angle', 'b', { t: { angle: 37.46 } }, null)?.text).toBe('37.5°');
    expect(
      summariseMeasurement('EllipticalROI', 'c', { t: { area: 120.44, areaUnit: 'mm²', mean: 38.21, stdDev: 9.9, modalityUnit: 'HU' } }, 0)?.text,
    ).toBe('area 120.4 mm² · mean 38.2 HU · SD 9.9');
  });

  it('skips incomplete statistics and unknown tools', () => {
    expect(summariseMeasurement('Length', 'a', { t: { length: null } }, 0)).toBeNull();
    expect(summariseMeasurement('Angle', 'b', { t: { angle: 'Incomplete Angle' } }, 0)).toBeNull();
    expect(summariseMeasurement('Probe', 'c', { t: { value: 1 } }, 0)).toBeNull();
    expect(summariseMeasurement('Length', 'd', undefined, 0)).toBeNull();
  });
});
