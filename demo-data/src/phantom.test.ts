import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  PHANTOM_PADDING_VALUE,
  PHANTOM_RESCALE_INTERCEPT,
  phantomSlice,
  phantomSliceGeometry,
  type PhantomSpec,
} from './phantom.ts';

const base: PhantomSpec = {
  seed: 12345,
  rows: 512,
  columns: 512,
  pixelSpacingMm: 0.7,
  sliceSpacingMm: 2.5,
  firstSliceZMm: 0,
  apexZMm: 0,
  noiseSigmaHu: 10,
  anatomy: {
    bodyWidthMm: 330,
    bodyDepthMm: 230,
    fatThicknessMm: 15,
    lungScale: 1,
    heartScale: 1,
    heartShiftMm: 0,
    aortaDiameterMm: 28,
    contrastHu: 210,
    nodule: null,
  },
};
const quiet: PhantomSpec = { ...base, noiseSigmaHu: 0 };

/** Index of the slice at `level` mm below the apex. */
function sliceAt(spec: PhantomSpec, level: number): number {
  return Math.round((spec.firstSliceZMm - (spec.apexZMm - level)) / spec.sliceSpacingMm);
}

/** HU at patient (x, y) mm. */
function huAt(spec: PhantomSpec, slice: Int16Array, x: number, y: number): number {
  const [x0, y0] = phantomSliceGeometry(spec, 0).imagePositionPatient;
  const c = Math.round((x - x0) / spec.pixelSpacingMm);
  const r = Math.round((y - y0) / spec.pixelSpacingMm);
  return (slice[r * spec.columns + c] ?? Number.NaN) + PHANTOM_RESCALE_INTERCEPT;
}

function fraction(slice: Int16Array, low: number, high: number): number {
  let n = 0;
  for (const v of slice) {
    const hu = v + PHANTOM_RESCALE_INTERCEPT;
    if (hu >= low && hu <= high) n++;
  }
  return n / slice.length;
}

describe('phantomSlice', () => {
  it('is deterministic', () => {
    const a = phantomSlice(base, 20);
    const b = phantomSlice(base, 20);
    expect(a).toBeInstanceOf(Int16Array);
    expect(a.length).toBe(512 * 512);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('gives the pixels the demo cache was built from (bump PHANTOM_VERSION when this changes)', () => {
    const digest = createHash('sha256').update(new Uint8Array(phantomSlice(base, 50).buffer)).digest('hex');
    expect(digest).toBe('37f05bd32a1c13835fc61cb4ab9799740eebd8ed273c604d4e84a056df8728ba');
  });

  it('differs between seeds and between slices', () => {
    const a = phantomSlice(base, 20);
    const b = phantomSlice({ ...base, seed: 54321 }, 20);
    const c = phantomSlice(base, 21);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(false);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });

  it('pads outside the reconstruction circle and uses stored = HU + 1024 inside', () => {
    const slice = phantomSlice(base, 20);
    expect(slice[0]).toBe(PHANTOM_PADDING_VALUE);
    expect(slice[511]).toBe(PHANTOM_PADDING_VALUE);
    expect(slice[512 * 511]).toBe(PHANTOM_PADDING_VALUE);
    // Air in front of the chest, inside the circle.
    expect(huAt(base, slice, 0, -165)).toBeGreaterThan(-1060);
    expect(huAt(base, slice, 0, -165)).toBeLessThan(-940);
    const inside = slice.filter((v) => v !== PHANTOM_PADDING_VALUE);
    expect(inside.reduce((m, v) => Math.min(m, v), Infinity)).toBeGreaterThanOrEqual(0);
    expect(inside.reduce((m, v) => Math.max(m, v), -Infinity)).toBeLessThanOrEqual(4095);
  });

  it('has the tissues of a contrast chest CT in plausible amounts', () => {
    const slice = phantomSlice(base, sliceAt(base, 170));
    expect(fraction(slice, -1100, -950)).toBeGreaterThan(0.1); // air
    expect(fraction(slice, -950, -700)).toBeGreaterThan(0.1); // lung parenchyma
    expect(fraction(slice, -150, -50)).toBeGreaterThan(0.03); // fat
    expect(fraction(slice, 0, 100)).toBeGreaterThan(0.05); // muscle, myocardium
    expect(fraction(slice, 200, 300)).toBeGreaterThan(0.005); // contrast-filled blood
    expect(fraction(slice, 700, 1400)).toBeGreaterThan(0.002); // cortical bone
  });

  it('puts the anatomy where a radiologist expects it', () => {
    const level = 135; // mid-vertebra, not a disc
    const slice = phantomSlice(quiet, sliceAt(quiet, level));
    // Lungs either side (the image's right is the patient's left), spine at the back.
    expect(huAt(quiet, slice, -80, 10)).toBeLessThan(-600);
    expect(huAt(quiet, slice, 80, 10)).toBeLessThan(-600);
    const column: number[] = [];
    for (let y = 30; y < 100; y += 0.7) column.push(huAt(quiet, slice, 0, y));
    expect(Math.max(...column)).toBeGreaterThan(1000);
    // Subcutaneous fat at the side, muscle inside it.
    expect(huAt(quiet, slice, 160, 0)).toBeCloseTo(-100, -1);
    // The descending aorta, enhanced, left of the spine.
    const aorta = [];
    for (let x = 10; x < 40; x += 0.7) aorta.push(huAt(quiet, slice, x, 56 - 12));
    expect(Math.max(...aorta)).toBeGreaterThan(220);
  });

  it('changes smoothly along z', () => {
    const meanAbsDiff = (a: Int16Array, b: Int16Array): number => {
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
      return sum / a.length;
    };
    const s = sliceAt(quiet, 120);
    const here = phantomSlice(quiet, s);
    const next = phantomSlice(quiet, s + 1);
    const far = phantomSlice(quiet, s + 40);
    expect(meanAbsDiff(here, next)).toBeGreaterThan(0);
    expect(meanAbsDiff(here, next) * 4).toBeLessThan(meanAbsDiff(here, far));
    // Lungs grow from the apex downwards.
    const apex = phantomSlice(quiet, sliceAt(quiet, 15));
    expect(fraction(apex, -950, -700)).toBeLessThan(fraction(here, -950, -700));
  });

  it('keeps slice geometry consistent with the slice index', () => {
    const g0 = phantomSliceGeometry(base, 0);
    const g9 = phantomSliceGeometry(base, 9);
    expect(g0.imagePositionPatient[2]).toBe(base.firstSliceZMm);
    expect(g0.imagePositionPatient[2] - g9.imagePositionPatient[2]).toBeCloseTo(9 * base.sliceSpacingMm, 9);
    expect(g9.sliceLocation).toBe(g9.imagePositionPatient[2]);
    expect(g0.imagePositionPatient[0]).toBeCloseTo(-(511 / 2) * base.pixelSpacingMm, 9);
    expect(g0.imageOrientationPatient).toEqual([1, 0, 0, 0, 1, 0]);
  });

  it('rejects a bad slice index', () => {
    expect(() => phantomSlice(base, -1)).toThrow(RangeError);
    expect(() => phantomSlice(base, 1.5)).toThrow(RangeError);
  });
});
