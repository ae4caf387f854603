import { describe, expect, it } from 'vitest';
import type { DicomJsonObject } from '../dicom/dicom-json.ts';
import { pixelDataUncertain, stackFrames, withoutPixelData } from './stack-frames.ts';
import type { SeriesInstance } from './study-api.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const pixels = { '7FE00010': { vr: 'OW', BulkDataURI: 'x' } };
const instance = (uid: string, instanceNumber: number, extra: DicomJsonObject): SeriesInstance => ({
  sopInstanceUid: uid,
  instanceNumber,
  metadata: { '00080016': { vr: 'UI', Value: [CT] }, '00200013': { vr: 'IS', Value: [instanceNumber] }, ...pixels, ...extra },
});
const seq = (items: DicomJsonObject[]) => ({ vr: 'SQ', Value: items });
const planePosition = (z: number): DicomJsonObject => ({ '00209113': seq([{ '00200032': { vr: 'DS', Value: [0, 0, z] } }]) });

describe('stack frames', () => {
  it('gives every frame of a multi-frame instance, in frame order without geometry', () => {
    const frames = stackFrames([instance('us', 1, { '00280008': { vr: 'IS', Value: ['3'] } })]);
    expect(frames.map((f) => `${f.instance.sopInstanceUid}/${f.frame}`)).toEqual(['us/1', 'us/2', 'us/3']);
  });

  it('orders enhanced frames by their per-frame plane positions, head first', () => {
    const enhanced = instance('mr', 1, {
      '00280008': { vr: 'IS', Value: [3] },
      '52009229': seq([{ '00209116': seq([{ '00200037': { vr: 'DS', Value: [1, 0, 0, 0, 1, 0] } }]) }]),
      '52009230': seq([planePosition(-10), planePosition(10), planePosition(0)]),
    });
    expect(stackFrames([enhanced]).map((f) => f.frame)).toEqual([2, 3, 1]);
  });

  it('mixes single- and multi-frame instances by instance number, and leaves out non-image objects', () => {
    const sr = instance('sr', 0, { '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.88.11'] } });
    const frames = stackFrames([instance('b', 2, { '00280008': { vr: 'IS', Value: [2] } }), sr, instance('a', 1, {})]);
    expect(frames.map((f) => `${f.instance.sopInstanceUid}/${f.frame}`)).toEqual(['a/1', 'b/1', 'b/2']);
  });

  it('takes an image whose metadata leaves Pixel Data out (deflated) by its Image Pixel module', () => {
    const deflated: SeriesInstance = {
      sopInstanceUid: 'd',
      instanceNumber: 1,
      metadata: { '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] }, '00280010': { vr: 'US', Value: [512] }, '00280011': { vr: 'US', Value: [512] }, '00280100': { vr: 'US', Value: [8] } },
    };
    expect(stackFrames([deflated])).toHaveLength(1);
    expect(stackFrames([{ ...deflated, metadata: { '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] } } }])).toHaveLength(0);
  });
});

describe('objects whose header leaves pixel data open', () => {
  const module = { '00280010': { vr: 'US', Value: [32] }, '00280011': { vr: 'US', Value: [32] }, '00280100': { vr: 'US', Value: [16] } };
  const cr = (metadata: DicomJsonObject): SeriesInstance => ({ sopInstanceUid: 'cr', instanceNumber: 1, metadata: { '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.1'] }, ...metadata } });

  it('is uncertain only with an Image Pixel module and no Pixel Data attribute', () => {
    expect(pixelDataUncertain(cr(module).metadata)).toBe(true);
    expect(pixelDataUncertain(cr({ ...module, ...pixels }).metadata)).toBe(false);
    expect(pixelDataUncertain(cr({}).metadata)).toBe(false);
  });

  it('is an image until the server says it has no pixel data, then no frame of it is in the stack', () => {
    expect(stackFrames([cr(module)])).toHaveLength(1);
    const answered = cr(withoutPixelData(cr(module).metadata));
    expect(pixelDataUncertain(answered.metadata)).toBe(false);
    expect(stackFrames([answered])).toEqual([]);
  });
});
