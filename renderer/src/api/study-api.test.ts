import { describe, expect, it } from 'vitest';
import { sortInstancesForStack, type SeriesInstance } from './study-api.ts';

const axial = (uid: string, instanceNumber: number, z: number | null): SeriesInstance => ({
  sopInstanceUid: uid,
  instanceNumber,
  metadata: {
    '00200013': { vr: 'IS', Value: [instanceNumber] },
    ...(z === null
      ? {}
      : {
          '00200032': { vr: 'DS', Value: [-180, -180, z] },
          '00200037': { vr: 'DS', Value: [1, 0, 0, 0, 1, 0] },
        }),
  },
});

describe('stack order', () => {
  it('goes from head to feet by position, whatever the instance numbers say', () => {
    const sorted = sortInstancesForStack([axial('b', 1, -50), axial('a', 3, -45), axial('c', 2, -55)]);
    expect(sorted.map((i) => i.sopInstanceUid)).toEqual(['a', 'b', 'c']);
  });

  it('falls back to instance numbers without positions', () => {
    const sorted = sortInstancesForStack([axial('b', 2, null), axial('a', 1, null), axial('c', 3, -1)]);
    expect(sorted.map((i) => i.sopInstanceUid)).toEqual(['a', 'b', 'c']);
  });
});
