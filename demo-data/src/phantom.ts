/**
 * A deterministic CT phantom of the thorax, one axial slice at a time.
 *
 * Stored values follow the convention of many CT scanners: signed 16-bit samples
 * (PixelRepresentation 1) with RescaleSlope 1 and RescaleIntercept -1024, so
 * stored = HU + 1024 (air ≈ 24, water = 1024, bone ≈ 2100). Samples are clamped to
 * [-1024, 3071] HU, the 12-bit range a scanner reconstructs. Outside the circular
 * reconstruction field of view the slice holds the padding value -2000 (stored), as GE scanners
 * do; the DICOM writer declares it as PixelPaddingValue. This keeps negative stored values in the
 * data, so every consumer really exercises the signed path.
 *
 * Patient coordinates are DICOM's LPS (x to the patient's left, y to the posterior, z to the
 * head); the image's columns run along +x and its rows along +y, so the patient's left is on the
 * image's right and the spine at the bottom, as a radiologist expects. Slice 0 is the most
 * cranial; slices go towards the feet.
 *
 * Determinism: the pixel values use only + − × ÷ and √ (correctly rounded in IEEE-754), integer
 * hashing (Math.imul) and floor/round/min/max, never Math.sin/exp/log/pow, whose last bit may
 * differ between JavaScript engines. The same spec and slice give the same samples anywhere.
 */

/** Version of the phantom's algorithm; any change to the pixels must bump it (it keys caches). */
export const PHANTOM_VERSION = 1;

/** Stored value outside the reconstruction circle (PixelPaddingValue). */
export const PHANTOM_PADDING_VALUE = -2000;
export const PHANTOM_RESCALE_INTERCEPT = -1024;
export const PHANTOM_RESCALE_SLOPE = 1;

/** A lung nodule, a small soft-tissue sphere. */
export interface PhantomNodule {
  /** Centre, patient x (to the patient's left) in mm from the body's midline. */
  readonly xMm: number;
  /** Centre, patient y (to the posterior) in mm from the body's centre. */
  readonly yMm: number;
  /** Centre, mm below the lung apex. */
  readonly levelMm: number;
  readonly diameterMm: number;
}

/** What differs between patients (and between one patient's studies). */
export interface PhantomAnatomy {
  /** Left–right diameter of the trunk, mm (typical 300–360). */
  readonly bodyWidthMm: number;
  /** Antero-posterior diameter of the trunk, mm (typical 200–260). */
  readonly bodyDepthMm: number;
  /** Subcutaneous fat, mm. */
  readonly fatThicknessMm: number;
  /** Scales the lungs' cross-section (1 = average). */
  readonly lungScale: number;
  /** Scales the heart (1 = average). */
  readonly heartScale: number;
  /** Moves the heart to the patient's left (+) or right (−), mm. */
  readonly heartShiftMm: number;
  readonly aortaDiameterMm: number;
  /** Enhancement of arterial blood by contrast medium, HU (0 for a study without contrast). */
  readonly contrastHu: number;
  readonly nodule: PhantomNodule | null;
}

/** Everything that determines a series' pixels. */
export interface PhantomSpec {
  /** Seeds the quantum noise and the lung texture (an unsigned 32-bit integer). */
  readonly seed: number;
  readonly rows: number;
  readonly columns: number;
  /** Square pixels; the field of view is columns × pixelSpacingMm. */
  readonly pixelSpacingMm: number;
  /** Distance between slice centres, mm (slices are contiguous: thickness = spacing). */
  readonly sliceSpacingMm: number;
  /** Patient z of slice 0, mm. */
  readonly firstSliceZMm: number;
  /** Patient z of the lung apex, mm; the anatomy is laid out below it. */
  readonly apexZMm: number;
  /** Standard deviation of the quantum noise, HU. */
  readonly noiseSigmaHu: number;
  readonly anatomy: PhantomAnatomy;
}

/** Where slice `sliceIndex` of a spec lies (DICOM Image Plane module values). */
export interface PhantomSliceGeometry {
  /** Centre of the first transmitted pixel, mm (LPS). */
  readonly imagePositionPatient: readonly [number, number, number];
  readonly imageOrientationPatient: readonly [number, number, number, number, number, number];
  /** Row spacing, column spacing (mm). */
  readonly pixelSpacing: readonly [number, number];
  readonly sliceLocation: number;
}

export function phantomSliceGeometry(spec: PhantomSpec, sliceIndex: number): PhantomSliceGeometry {
  const z = sliceZ(spec, sliceIndex);
  const sp = spec.pixelSpacingMm;
  return {
    imagePositionPatient: [-((spec.columns - 1) / 2) * sp, -((spec.rows - 1) / 2) * sp, z],
    imageOrientationPatient: [1, 0, 0, 0, 1, 0],
    pixelSpacing: [sp, sp],
    sliceLocation: z,
  };
}

function sliceZ(spec: PhantomSpec, sliceIndex: number): number {
  return spec.firstSliceZMm - sliceIndex * spec.sliceSpacingMm;
}

/** The stored samples of one axial slice, row by row (rows × columns). */
export function phantomSlice(spec: PhantomSpec, sliceIndex: number): Int16Array {
  if (!Number.isInteger(sliceIndex) || sliceIndex < 0) {
    throw new RangeError(`slice index must be a non-negative integer, got ${sliceIndex}`);
  }
  const canvas = new SliceCanvas(spec);
  const level = spec.apexZMm - sliceZ(spec, sliceIndex);
  paintThorax(canvas, spec, level);
  return canvas.toStored(spec, sliceIndex);
}

// ---------------------------------------------------------------------------------------------
// Deterministic arithmetic helpers

const PI = 3.141592653589793;

/** sin(x) by range reduction and a Taylor polynomial (|error| < 1e-9); engine-independent. */
function detSin(x: number): number {
  let r = x - 2 * PI * Math.floor((x + PI) / (2 * PI)); // r in [-π, π)
  if (r > PI / 2) r = PI - r;
  else if (r < -PI / 2) r = -PI - r;
  const r2 = r * r;
  // Horner form of r − r³/3! + r⁵/5! − … + r¹³/13!
  let p = 1 / 6227020800;
  p = -1 / 39916800 + r2 * p;
  p = 1 / 362880 + r2 * p;
  p = -1 / 5040 + r2 * p;
  p = 1 / 120 + r2 * p;
  p = -1 / 6 + r2 * p;
  p = 1 + r2 * p;
  return r * p;
}

function detCos(x: number): number {
  return detSin(x + PI / 2);
}

function clamp01(t: number): number {
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = clamp01((x - edge0) / (edge1 - edge0));
  return t * t * (3 - 2 * t);
}

/** A 32-bit integer hash of a lattice point. */
function latticeHash(ix: number, iy: number, iz: number, seed: number): number {
  let h = Math.imul(ix, 0x27d4eb2d) ^ Math.imul(iy, 0x165667b1) ^ Math.imul(iz, 0x1b873593) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Dot product of the offset with one of Perlin's 12 (+4 repeated) edge gradients. */
function gradientDot(hash: number, x: number, y: number, z: number): number {
  const h = hash & 15;
  const u = h < 8 ? x : y;
  const v = h < 4 ? y : h === 12 || h === 14 ? x : z;
  return ((h & 1) === 0 ? u : -u) + ((h & 2) === 0 ? v : -v);
}

function fade(t: number): number {
  return t * t * t * (t * (t * 6 - 15) + 10);
}

/** Smooth 3-D gradient noise (Perlin's improved noise with hashed gradients), about [-1, 1]. */
function gradientNoise3(x: number, y: number, z: number, seed: number): number {
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  const iz = Math.floor(z);
  const fx = x - ix;
  const fy = y - iy;
  const fz = z - iz;
  const u = fade(fx);
  const v = fade(fy);
  const w = fade(fz);
  const n000 = gradientDot(latticeHash(ix, iy, iz, seed), fx, fy, fz);
  const n100 = gradientDot(latticeHash(ix + 1, iy, iz, seed), fx - 1, fy, fz);
  const n010 = gradientDot(latticeHash(ix, iy + 1, iz, seed), fx, fy - 1, fz);
  const n110 = gradientDot(latticeHash(ix + 1, iy + 1, iz, seed), fx - 1, fy - 1, fz);
  const n001 = gradientDot(latticeHash(ix, iy, iz + 1, seed), fx, fy, fz - 1);
  const n101 = gradientDot(latticeHash(ix + 1, iy, iz + 1, seed), fx - 1, fy, fz - 1);
  const n011 = gradientDot(latticeHash(ix, iy + 1, iz + 1, seed), fx, fy - 1, fz - 1);
  const n111 = gradientDot(latticeHash(ix + 1, iy + 1, iz + 1, seed), fx - 1, fy - 1, fz - 1);
  const x00 = n000 + (n100 - n000) * u;
  const x10 = n010 + (n110 - n010) * u;
  const x01 = n001 + (n101 - n001) * u;
  const x11 = n011 + (n111 - n011) * u;
  const y0 = x00 + (x10 - x00) * v;
  const y1 = x01 + (x11 - x01) * v;
  return y0 + (y1 - y0) * w;
}

function mixSeed(seed: number, salt: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Shapes: each gives an approximate signed distance in mm (negative inside) and a bounding box.

interface Shape {
  readonly minX: number;
  readonly maxX: number;
  readonly minY: number;
  readonly maxY: number;
  sd(x: number, y: number): number;
}

/** An ellipse, optionally rotated (cos, sin of the angle of its x radius). */
function ellipse(cx: number, cy: number, rx: number, ry: number, cos = 1, sin = 0): Shape {
  const r = rx > ry ? rx : ry;
  return {
    minX: cx - r,
    maxX: cx + r,
    minY: cy - r,
    maxY: cy + r,
    sd(x, y) {
      const dx = x - cx;
      const dy = y - cy;
      const u = (dx * cos + dy * sin) / rx;
      const v = (dy * cos - dx * sin) / ry;
      const f = u * u + v * v - 1;
      const gu = u / rx;
      const gv = v / ry;
      const g = 2 * Math.sqrt(gu * gu + gv * gv);
      return g > 1e-9 ? f / g : -r;
    },
  };
}

/** A rounded box: level set of 0.65·(X²+Y²) + 0.35·(X⁴+Y⁴) = 1, squarer than an ellipse. */
function roundedBox(cx: number, cy: number, rx: number, ry: number): Shape {
  return {
    minX: cx - rx,
    maxX: cx + rx,
    minY: cy - ry,
    maxY: cy + ry,
    sd(x, y) {
      const X = (x - cx) / rx;
      const Y = (y - cy) / ry;
      const X2 = X * X;
      const Y2 = Y * Y;
      const f = 0.65 * (X2 + Y2) + 0.35 * (X2 * X2 + Y2 * Y2) - 1;
      const gx = (1.3 * X + 1.4 * X2 * X) / rx;
      const gy = (1.3 * Y + 1.4 * Y2 * Y) / ry;
      const g = Math.sqrt(gx * gx + gy * gy);
      return g > 1e-9 ? f / g : -(rx < ry ? rx : ry);
    },
  };
}

/** A capsule: all points within `radius` of the segment (x1, y1)–(x2, y2). */
function capsule(x1: number, y1: number, x2: number, y2: number, radius: number): Shape {
  const ex = x2 - x1;
  const ey = y2 - y1;
  const len2 = ex * ex + ey * ey;
  return {
    minX: (x1 < x2 ? x1 : x2) - radius,
    maxX: (x1 > x2 ? x1 : x2) + radius,
    minY: (y1 < y2 ? y1 : y2) - radius,
    maxY: (y1 > y2 ? y1 : y2) + radius,
    sd(x, y) {
      const t = len2 > 0 ? clamp01(((x - x1) * ex + (y - y1) * ey) / len2) : 0;
      const dx = x - (x1 + t * ex);
      const dy = y - (y1 + t * ey);
      return Math.sqrt(dx * dx + dy * dy) - radius;
    },
  };
}

type Fill = number | ((x: number, y: number) => number);

let scratch = new Float64Array(0);

/** One reusable buffer for the slice in HU (generation is synchronous, so never shared). */
function scratchBuffer(length: number): Float64Array {
  if (scratch.length !== length) scratch = new Float64Array(length);
  return scratch;
}

/** A slice under construction, in HU, painted layer over layer with partial-volume edges. */
class SliceCanvas {
  readonly hu: Float64Array;
  readonly columns: number;
  readonly rows: number;
  readonly spacing: number;
  readonly x0: number;
  readonly y0: number;

  constructor(spec: PhantomSpec) {
    this.columns = spec.columns;
    this.rows = spec.rows;
    this.spacing = spec.pixelSpacingMm;
    this.x0 = -((spec.columns - 1) / 2) * spec.pixelSpacingMm;
    this.y0 = -((spec.rows - 1) / 2) * spec.pixelSpacingMm;
    this.hu = scratchBuffer(spec.columns * spec.rows);
    this.hu.fill(-1000);
  }

  /** Blends `fill` over the shape; the edge is a one-pixel ramp (partial volume). */
  paint(shape: Shape, fill: Fill, opacity = 1): void {
    const { columns, rows, spacing, x0, y0, hu } = this;
    const c0 = Math.max(0, Math.floor((shape.minX - x0) / spacing) - 1);
    const c1 = Math.min(columns - 1, Math.ceil((shape.maxX - x0) / spacing) + 1);
    const r0 = Math.max(0, Math.floor((shape.minY - y0) / spacing) - 1);
    const r1 = Math.min(rows - 1, Math.ceil((shape.maxY - y0) / spacing) + 1);
    for (let r = r0; r <= r1; r++) {
      const y = y0 + r * spacing;
      let i = r * columns + c0;
      for (let c = c0; c <= c1; c++, i++) {
        const x = x0 + c * spacing;
        const a = clamp01(0.5 - shape.sd(x, y) / spacing) * opacity;
        if (a <= 0) continue;
        const value = typeof fill === 'number' ? fill : fill(x, y);
        const old = hu[i] ?? 0;
        hu[i] = old + (value - old) * a;
      }
    }
  }

  /** Adds quantum noise, rounds, rescales to stored values and pads outside the FOV circle. */
  toStored(spec: PhantomSpec, sliceIndex: number): Int16Array {
    const { columns, rows, spacing, x0, y0, hu } = this;
    const out = new Int16Array(columns * rows);
    const fovRadius = (Math.min(columns, rows) / 2) * spacing;
    const fov2 = fovRadius * fovRadius;
    // Near-Gaussian noise from one 32-bit draw of mulberry32 (inlined: this loop is hot): the
    // sum of its four bytes has mean 510 and standard deviation √(4·(256²−1)/12) ≈ 147.8.
    const noiseScale = spec.noiseSigmaHu / Math.sqrt((4 * (256 * 256 - 1)) / 12);
    let state = mixSeed(spec.seed, sliceIndex + 1) | 0;
    for (let r = 0; r < rows; r++) {
      const y = y0 + r * spacing;
      for (let c = 0; c < columns; c++) {
        const i = r * columns + c;
        const x = x0 + c * spacing;
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        const bits = t ^ (t >>> 14); // stays an int32: no heap numbers in this loop
        const n = ((bits & 255) + ((bits >>> 8) & 255) + ((bits >>> 16) & 255) + (bits >>> 24) - 510) * noiseScale;
        if (x * x + y * y > fov2) {
          out[i] = PHANTOM_PADDING_VALUE;
          continue;
        }
        let value = Math.round((hu[i] ?? 0) + n);
        if (value < -1024) value = -1024;
        else if (value > 3071) value = 3071;
        out[i] = value - PHANTOM_RESCALE_INTERCEPT;
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Anatomy. `level` is the distance below the lung apex in mm; the thorax spans about 0–300.

const HU = {
  air: -1000,
  fat: -100,
  mediastinalFat: -75,
  muscle: 45,
  lung: -860,
  blood: 40,
  myocardium: 50,
  liver: 60,
  spleen: 50,
  cortical: 1150,
  cancellous: 210,
  disc: 90,
  csf: 10,
  cartilage: 120,
  tableFoam: -300,
  tableShell: 200,
} as const;

/** The part of an ellipsoid's height where `level` lies, as the radius factor of its section. */
function ellipsoidSection(level: number, centreLevel: number, halfHeight: number): number {
  const t = (level - centreLevel) / halfHeight;
  return t * t >= 1 ? 0 : Math.sqrt(1 - t * t);
}

function paintThorax(canvas: SliceCanvas, spec: PhantomSpec, level: number): void {
  const a = spec.anatomy;
  const blood = HU.blood + a.contrastHu;
  // The shoulders make the trunk a little wider near the apex.
  const widen = level < 100 ? 1 + 0.06 * clamp01((100 - level) / 100) : 1;
  const halfW = (a.bodyWidthMm / 2) * widen;
  const halfD = a.bodyDepthMm / 2;
  const fat = a.fatThicknessMm;

  // Patient table under the back (carbon-fibre shells around foam).
  const tableTop = halfD + 6;
  canvas.paint(capsule(-190, tableTop + 8, 190, tableTop + 8, 8), HU.tableShell);
  canvas.paint(capsule(-188, tableTop + 8, 188, tableTop + 8, 6), HU.tableFoam);

  // Skin and subcutaneous fat, the muscular chest wall, and the thoracic cavity.
  canvas.paint(roundedBox(0, 0, halfW, halfD), HU.fat);
  canvas.paint(roundedBox(0, 1, halfW - fat, halfD - fat * 0.8), HU.muscle);
  const wall = 12;
  const cavityW = halfW - fat - wall;
  const cavityD = halfD - fat * 0.8 - wall;
  canvas.paint(roundedBox(0, -2, cavityW, cavityD), HU.mediastinalFat);

  const spineY = halfD - fat * 0.8 - 42;
  paintLungs(canvas, spec, level, cavityW, cavityD, spineY);
  paintAbdomen(canvas, spec, level, cavityW, cavityD);
  paintAirways(canvas, level, spineY);
  paintHeartAndVessels(canvas, spec, level, blood, cavityD, spineY);
  paintSpine(canvas, level, spineY);
  paintRibs(canvas, level, cavityW + wall * 0.45, cavityD + wall * 0.45);
  paintShoulderGirdle(canvas, level, halfD, fat, cavityW + wall + 4, cavityD + wall + 2);

  if (a.nodule) {
    const n = a.nodule;
    const k = ellipsoidSection(level, n.levelMm, n.diameterMm / 2);
    if (k > 0) canvas.paint(ellipse(n.xMm, n.yMm, (n.diameterMm / 2) * k, (n.diameterMm / 2) * k), 30);
  }
}

function paintLungs(
  canvas: SliceCanvas,
  spec: PhantomSpec,
  level: number,
  cavityW: number,
  cavityD: number,
  spineY: number,
): void {
  if (level < 0 || level > 285) return;
  const a = spec.anatomy;
  // Small at the apex, full size from ~120 mm, then the diaphragm domes (painted later) cut in.
  const grow = level < 120 ? Math.sqrt(level / 120) : 1;
  const mediastinum = 20;
  const fullRx = ((cavityW - mediastinum) / 2) * 0.98 * a.lungScale;
  const fullRy = cavityD * 0.9 * a.lungScale;
  const rx = fullRx * (0.35 + 0.65 * grow);
  const ry = fullRy * (0.3 + 0.7 * grow);
  const cy = spineY * 0.2 - 4 + (1 - grow) * cavityD * 0.35; // the apices sit posteriorly
  const textureSeed = mixSeed(spec.seed, 0x10ae);
  const vesselHu = HU.blood + a.contrastHu * 0.7;
  for (const side of [-1, 1] as const) {
    const cx = side * (mediastinum + fullRx * 1.02);
    const hilumX = side * 38;
    const hilumY = 12;
    const shape = ellipse(cx, cy, rx, ry);
    // Vessels are tubes: where two independent smooth noise fields are both near zero, a curve
    // in 3-D that runs mostly along z (the noise is stretched that way), so a slice cuts it into
    // dots and short branches. The fields are smooth over millimetres, so they are sampled on a
    // grid of a few pixels and interpolated.
    const big = new SampledField(shape, canvas.spacing * 4, (x, y) =>
      tubeDistance(x / 15, y / 15, level / 34, textureSeed),
    );
    const small = new SampledField(shape, canvas.spacing * 2, (x, y) =>
      tubeDistance(x / 6, y / 6, level / 14, textureSeed ^ 0x5bd1e995),
    );
    canvas.paint(shape, (x, y) => {
      // Dependent (posterior) lung is denser; vessels are thicker and brighter near the hilum.
      const base = HU.lung + 35 * ((y - cy) / ry);
      const dx = x - hilumX;
      const dy = y - hilumY;
      const hilum = clamp01(1 - Math.sqrt(dx * dx + dy * dy) / 120);
      const wBig = 0.07 + 0.17 * hilum;
      const vBig = 1 - smoothstep(wBig * 0.55, wBig, big.at(x, y));
      const vSmall = (1 - smoothstep(0.04, 0.075, small.at(x, y))) * (0.3 + 0.3 * hilum);
      const vessel = vBig > vSmall ? vBig : vSmall;
      return base + (vesselHu - base) * vessel;
    });
  }
}

/** A function of (x, y) sampled on a regular grid over a shape's box, read back bilinearly. */
class SampledField {
  readonly #x0: number;
  readonly #y0: number;
  readonly #step: number;
  readonly #nx: number;
  readonly #ny: number;
  readonly #values: Float64Array;

  constructor(box: Shape, step: number, f: (x: number, y: number) => number) {
    this.#x0 = box.minX - step;
    this.#y0 = box.minY - step;
    this.#step = step;
    this.#nx = Math.ceil((box.maxX - box.minX) / step) + 3;
    this.#ny = Math.ceil((box.maxY - box.minY) / step) + 3;
    this.#values = new Float64Array(this.#nx * this.#ny);
    for (let j = 0; j < this.#ny; j++) {
      for (let i = 0; i < this.#nx; i++) {
        this.#values[j * this.#nx + i] = f(this.#x0 + i * step, this.#y0 + j * step);
      }
    }
  }

  at(x: number, y: number): number {
    const gx = (x - this.#x0) / this.#step;
    const gy = (y - this.#y0) / this.#step;
    const i = Math.min(this.#nx - 2, Math.max(0, Math.floor(gx)));
    const j = Math.min(this.#ny - 2, Math.max(0, Math.floor(gy)));
    const tx = gx - i;
    const ty = gy - j;
    const k = j * this.#nx + i;
    const v = this.#values;
    const top = (v[k] ?? 0) + ((v[k + 1] ?? 0) - (v[k] ?? 0)) * tx;
    const bottom = (v[k + this.#nx] ?? 0) + ((v[k + this.#nx + 1] ?? 0) - (v[k + this.#nx] ?? 0)) * tx;
    return top + (bottom - top) * ty;
  }
}

/**
 * Distance of a point from the axis of a noise tube: the tube is where two independent
 * gradient-noise fields are both zero. The second field is rotated and shifted so that the two
 * lattices do not line up.
 */
function tubeDistance(x: number, y: number, z: number, seed: number): number {
  const a = gradientNoise3(x, y, z, seed);
  const b = gradientNoise3(0.8 * x - 0.6 * y + 0.31, 0.6 * x + 0.8 * y + 0.57, z + 0.43, seed ^ 0x27220a95);
  return Math.sqrt(a * a + b * b);
}

function paintAirways(canvas: SliceCanvas, level: number, spineY: number): void {
  const tracheaY = spineY - 38;
  if (level >= -10 && level < 78) {
    canvas.paint(ellipse(0, tracheaY, 10.5, 9.5), HU.cartilage);
    canvas.paint(ellipse(0, tracheaY, 8.5, 7.5), HU.air);
  } else if (level >= 78 && level < 110) {
    // Main bronchi, running laterally and down from the carina.
    const t = (level - 78) / 32;
    for (const side of [-1, 1] as const) {
      const x = side * (8 + 26 * t);
      canvas.paint(ellipse(x, tracheaY + 4 * t, 7, 6.5), HU.cartilage);
      canvas.paint(ellipse(x, tracheaY + 4 * t, 5.3, 5), HU.air);
    }
  }
  // Oesophagus, between the trachea and the spine, with a little air.
  if (level > -10 && level < 290) {
    canvas.paint(ellipse(6, spineY - 20, 8, 6.5), HU.muscle);
    canvas.paint(ellipse(6, spineY - 20, 1.6, 1.2), HU.air);
  }
}

function paintHeartAndVessels(
  canvas: SliceCanvas,
  spec: PhantomSpec,
  level: number,
  blood: number,
  cavityD: number,
  spineY: number,
): void {
  const a = spec.anatomy;
  const contrast = a.contrastHu;
  const r = a.aortaDiameterMm / 2;
  const ascX = -8;
  const ascY = -cavityD * 0.2;
  // The descending aorta lies left-anterolateral to the vertebral bodies, nearing the midline.
  const descX = 30 - clamp01((level - 50) / 250) * 10;
  const descY = spineY - 14;

  // Superior vena cava: dense, undiluted contrast arriving from the arm.
  if (level > 0 && level < 150) canvas.paint(ellipse(-30, ascY - 2, 10, 9), HU.blood + contrast * 1.25);

  // Heart: an ellipsoid tilted to the left, wrapped in pericardial fat.
  const k = ellipsoidSection(level, 185, 80 * a.heartScale);
  if (k > 0) {
    const hx = 22 + a.heartShiftMm;
    const hy = -cavityD * 0.18;
    const rx = 68 * a.heartScale * k;
    const ry = 52 * a.heartScale * k;
    const cos = 0.8660254037844386; // 30°
    const sin = -0.5;
    canvas.paint(ellipse(hx, hy, rx + 5, ry + 5, cos, sin), HU.fat);
    canvas.paint(ellipse(hx, hy, rx, ry, cos, sin), HU.myocardium + contrast * 0.25);
    if (k > 0.25) {
      // Left ventricle (posterior-left) and right ventricle (anterior-right), septum between.
      canvas.paint(ellipse(hx + rx * 0.28, hy + ry * 0.12, rx * 0.42, ry * 0.45, cos, sin), blood);
      canvas.paint(ellipse(hx - rx * 0.3, hy - ry * 0.3, rx * 0.45, ry * 0.38, cos, sin), HU.blood + contrast * 0.85);
    }
  }

  // Pulmonary trunk and its branches at the level of the carina.
  const pulmonary = HU.blood + contrast * 0.85;
  if (level > 85 && level < 118) canvas.paint(ellipse(22, ascY - 8, 14, 13), pulmonary);
  if (level > 78 && level < 92) {
    canvas.paint(capsule(22, ascY - 8, 60, spineY - 45, 9), pulmonary);
    canvas.paint(capsule(18, ascY - 6, -52, spineY - 48, 9), pulmonary);
  }

  // Aorta: ascending in front, the arch on top, descending beside the spine.
  if (level >= 42 && level < 142) canvas.paint(ellipse(ascX, ascY, r, r), blood);
  if (level >= 28 && level < 50) canvas.paint(capsule(ascX, ascY, descX, descY, r * 0.95), blood);
  if (level >= 40) canvas.paint(ellipse(descX, descY, r * 0.92, r * 0.92), blood);
  // Great vessels above the arch.
  if (level >= -10 && level < 40) {
    canvas.paint(ellipse(-14, ascY + 4, 6.5, 6.5), blood);
    canvas.paint(ellipse(6, ascY + 10, 5, 5), blood);
    canvas.paint(ellipse(16, descY - 8, 5.5, 5.5), blood);
  }
}

function paintAbdomen(
  canvas: SliceCanvas,
  spec: PhantomSpec,
  level: number,
  cavityW: number,
  cavityD: number,
): void {
  const contrast = spec.anatomy.contrastHu;
  // Liver dome on the right (image left), stomach and spleen under the left dome.
  const kl = ellipsoidSection(level, 320, 120);
  if (kl > 0) {
    canvas.paint(ellipse(-cavityW * 0.4, 0, cavityW * 0.62 * kl, cavityD * 0.9 * kl), HU.liver + contrast * 0.3);
  }
  const ks = ellipsoidSection(level, 330, 95);
  if (ks > 0) canvas.paint(ellipse(cavityW * 0.55, cavityD * 0.35, cavityW * 0.32 * ks, cavityD * 0.45 * ks), HU.spleen + contrast * 0.4);
  const kg = ellipsoidSection(level, 325, 85);
  if (kg > 0) {
    const gx = cavityW * 0.35;
    const gy = -cavityD * 0.3;
    const rx = cavityW * 0.34 * kg;
    const ry = cavityD * 0.4 * kg;
    canvas.paint(ellipse(gx, gy, rx, ry), HU.muscle + contrast * 0.2);
    // Gas rises to the front (the patient lies supine): an air–fluid level.
    const inner = ellipse(gx, gy, rx - 3, ry - 3);
    const fluidLevel = gy - ry * 0.1;
    canvas.paint(inner, (_x, y) => (y < fluidLevel ? HU.air : 15));
  }
}

function paintSpine(canvas: SliceCanvas, level: number, spineY: number): void {
  // Vertebrae ~24 mm high with ~6 mm discs; the pattern is fixed to the anatomy, not the slice.
  const phase = level + 300 - 30 * Math.floor((level + 300) / 30);
  const inDisc = phase < 6;
  const edge = phase < 8 || phase > 28; // end plates are denser
  if (inDisc) {
    canvas.paint(ellipse(0, spineY, 19, 16), HU.disc);
  } else {
    canvas.paint(ellipse(0, spineY, 19, 16), HU.cortical);
    canvas.paint(ellipse(0, spineY, 16.5, 13.5), edge ? 520 : HU.cancellous);
  }
  // Posterior arch around the canal, spinous and transverse processes.
  const canalY = spineY + 26;
  canvas.paint(ellipse(0, canalY, 17, 13), 720);
  canvas.paint(ellipse(0, canalY, 9.5, 8), HU.csf);
  if (!inDisc) {
    canvas.paint(capsule(0, canalY + 12, 0, canalY + 24, 4.5), 700);
    if (phase > 10 && phase < 22) {
      canvas.paint(capsule(-12, canalY - 4, -36, canalY - 2, 5), 700);
      canvas.paint(capsule(12, canalY - 4, 36, canalY - 2, 5), 700);
    }
  }
  // Paraspinal muscles are part of the chest wall; the canal holds the cord.
  canvas.paint(ellipse(0, canalY, 5, 4.5), 35);
}

function paintRibs(canvas: SliceCanvas, level: number, ringW: number, ringD: number): void {
  if (level < 0 || level > 270) return;
  for (let step = 0; step < 24; step++) {
    // Angles around the chest wall, leaving out the spine (posterior) and the sternum (anterior).
    const theta = (-PI / 2) + ((step + 0.5) / 24) * 2 * PI;
    const s = detSin(theta); // +1 posterior (patient coordinates: +y is posterior)
    const c = detCos(theta);
    if (s > 0.9 || s < -0.93) continue;
    const anterior = (1 - s) / 2; // 0 posterior … 1 anterior
    // Ribs slope downwards towards the front: the same rib is lower anteriorly.
    const ribLevel = level - 55 * anterior;
    const phase = ribLevel + 600 - 28 * Math.floor((ribLevel + 600) / 28);
    if (phase > 10.5) continue;
    const x = c * ringW;
    const y = s * ringD;
    // Flat ribs, elongated along the chest wall (the tangent).
    const tx = -s * ringW;
    const ty = c * ringD;
    const tl = Math.sqrt(tx * tx + ty * ty);
    const cos = tx / tl;
    const sin = ty / tl;
    if (anterior > 0.86) {
      canvas.paint(ellipse(x, y, 7, 4.5, cos, sin), HU.cartilage);
    } else {
      canvas.paint(ellipse(x, y, 7.5, 4.8, cos, sin), HU.cortical);
      canvas.paint(ellipse(x, y, 5.8, 3.2, cos, sin), 320);
    }
  }
}

/** A point on an ellipse of radii (w, d) on the given side; `angle` 0 is lateral, 1 posterior. */
function wallPoint(w: number, d: number, side: -1 | 1, angle: number): [number, number] {
  const theta = (angle * PI) / 2;
  return [side * detCos(theta) * w, detSin(theta) * d];
}

function paintShoulderGirdle(
  canvas: SliceCanvas,
  level: number,
  halfD: number,
  fat: number,
  ringW: number,
  ringD: number,
): void {
  // Sternum (manubrium above, body below), just inside the anterior chest wall.
  if (level > 20 && level < 210) {
    const y = -(halfD - fat * 0.8 - 9);
    const w = level < 60 ? 20 : 13;
    canvas.paint(ellipse(0, y, w, 6.5), HU.cortical);
    canvas.paint(ellipse(0, y, w - 2, 4.5), 330);
  }
  // Scapulae: thin blades in the posterolateral chest wall, behind the ribs.
  if (level > -10 && level < 125) {
    for (const side of [-1, 1] as const) {
      const p1 = wallPoint(ringW, ringD, side, 0.62);
      const p2 = wallPoint(ringW, ringD, side, 0.98);
      canvas.paint(capsule(p1[0], p1[1], p2[0], p2[1], 3.6), 850);
      canvas.paint(capsule(p1[0], p1[1], p2[0], p2[1], 1.8), 350);
    }
  }
}
