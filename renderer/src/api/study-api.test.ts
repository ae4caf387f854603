import { afterEach, describe, expect, it, vi } from 'vitest';
import { instanceHasPixelData, sortInstancesForStack, type SeriesInstance } from './study-api.ts';

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

describe('asking whether an instance has pixel data', () => {
  const bridge = { getAccessToken: async () => 'token', refreshAccessToken: async () => 'token' };
  const answering = (status: number) => {
    const asked: string[] = [];
    const fetch = vi.fn(async (url: string) => {
      asked.push(url);
      return new Response(status === 200 ? 'pixels' : JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no' } }), { status });
    });
    vi.stubGlobal('fetch', fetch);
    return asked;
  };
  afterEach(() => vi.unstubAllGlobals());

  it("asks the instance's Pixel Data bulk URI: found is yes, 404 is no", async () => {
    const asked = answering(200);
    await expect(instanceHasPixelData(bridge, 'https://h/dicom-web/studies/1/series/2/instances/3')).resolves.toBe(true);
    expect(asked).toEqual(['https://h/dicom-web/studies/1/series/2/instances/3/bulk/7fe00010']);
    answering(404);
    await expect(instanceHasPixelData(bridge, 'https://h/dicom-web/studies/1/series/2/instances/3')).resolves.toBe(false);
  });

  it('keeps the header’s word (an image) when the server fails otherwise', async () => {
    answering(503);
    await expect(instanceHasPixelData(bridge, 'https://h/i')).resolves.toBe(true);
  });
});
