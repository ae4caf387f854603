/**
 * 12-bit JPEG (Extended, 1.2.840.10008.1.2.4.51) decoded to the values DICOM toolkits give.
 *
 * Cornerstone's JavaScript JPEG decoder (dicom-image-loader 5, `codecs/jpeg.js`, from pdf.js) was
 * written for 8-bit samples: it ends each block with `(q + 2056 / bitConversion) >> 4`, a level
 * shift of 128 · 16 + 8 scaled by 4095 / 255 instead of 2048 · 16 + 8, so every 12-bit sample came
 * out about 15 too high (measured on pydicom's JPEG-lossy.dcm: +9 … +15, against dcmtk's dcmdjpeg,
 * GDCM and pydicom, which agree with each other). Its fast fixed-point IDCT keeps too few bits for
 * 12-bit samples besides (±1 on one pixel in ten once the shift is right).
 *
 * `inverseDct12` is libjpeg's accurate integer IDCT (jidctint.c, "islow", the one dcmtk and GDCM
 * use) for samples of more than 8 bits, in double arithmetic so no product overflows;
 * `patchJpegCodec` makes the codec call it for such frames. The renderer's Vite build applies that
 * patch to the codec as it bundles it (vite.config.ts, main bundle and decode workers alike) and
 * fails if the codec no longer has the code it patches, e.g. after an upgrade.
 */

const CONST_BITS = 13;
/** libjpeg's PASS1_BITS for samples of more than 8 bits. */
const PASS1_BITS = 1;

const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

/** x / 2^n, rounded half up: libjpeg's DESCALE. */
function descale(x: number, n: number): number {
  return Math.floor((x + 2 ** (n - 1)) / 2 ** n);
}

/**
 * One 1-D pass of jidctint.c's IDCT over the 8 values `at(0…7)`; writes the 8 outputs, each
 * descaled by `shift`, through `put`.
 */
function idct1d(at: (k: number) => number, shift: number, put: (k: number, value: number) => void): void {
  // Even part.
  let z2 = at(2);
  let z3 = at(6);
  let z1 = (z2 + z3) * FIX_0_541196100;
  let tmp2 = z1 - z3 * FIX_1_847759065;
  let tmp3 = z1 + z2 * FIX_0_765366865;
  z2 = at(0);
  z3 = at(4);
  let tmp0 = (z2 + z3) * 2 ** CONST_BITS;
  let tmp1 = (z2 - z3) * 2 ** CONST_BITS;
  const tmp10 = tmp0 + tmp3;
  const tmp13 = tmp0 - tmp3;
  const tmp11 = tmp1 + tmp2;
  const tmp12 = tmp1 - tmp2;
  // Odd part.
  tmp0 = at(7);
  tmp1 = at(5);
  tmp2 = at(3);
  tmp3 = at(1);
  z1 = tmp0 + tmp3;
  z2 = tmp1 + tmp2;
  z3 = tmp0 + tmp2;
  let z4 = tmp1 + tmp3;
  const z5 = (z3 + z4) * FIX_1_175875602;
  tmp0 *= FIX_0_298631336;
  tmp1 *= FIX_2_053119869;
  tmp2 *= FIX_3_072711026;
  tmp3 *= FIX_1_501321110;
  z1 *= -FIX_0_899976223;
  z2 *= -FIX_2_562915447;
  z3 = z3 * -FIX_1_961570560 + z5;
  z4 = z4 * -FIX_0_390180644 + z5;
  tmp0 += z1 + z3;
  tmp1 += z2 + z4;
  tmp2 += z2 + z3;
  tmp3 += z1 + z4;
  put(0, descale(tmp10 + tmp3, shift));
  put(7, descale(tmp10 - tmp3, shift));
  put(1, descale(tmp11 + tmp2, shift));
  put(6, descale(tmp11 - tmp2, shift));
  put(2, descale(tmp12 + tmp1, shift));
  put(5, descale(tmp12 - tmp1, shift));
  put(3, descale(tmp13 + tmp0, shift));
  put(4, descale(tmp13 - tmp0, shift));
}

/**
 * Dequantizes and inverse-transforms the 8 × 8 block of coefficients at `blocks[offset…offset+63]`
 * (natural order, row-major) in place, into samples of `precision` bits (level-shifted, clamped).
 */
export function inverseDct12(blocks: Int16Array | Int32Array, offset: number, quantization: ArrayLike<number>, precision: number): void {
  const workspace = new Float64Array(64);
  for (let column = 0; column < 8; column += 1) {
    idct1d(
      (k) => (blocks[offset + k * 8 + column] ?? 0) * (quantization[k * 8 + column] ?? 0),
      CONST_BITS - PASS1_BITS,
      (k, value) => (workspace[k * 8 + column] = value),
    );
  }
  const centre = 2 ** (precision - 1);
  const max = 2 ** precision - 1;
  for (let row = 0; row < 8; row += 1) {
    idct1d(
      (k) => workspace[row * 8 + k] ?? 0,
      CONST_BITS + PASS1_BITS + 3,
      (k, value) => (blocks[offset + row * 8 + k] = Math.max(0, Math.min(max, value + centre))),
    );
  }
}

const QUANTIZE_AND_INVERSE = 'function quantizeAndInverse(component, blockBufferOffset, p) {\n';
const COMPONENT_PRECISION = 'bitConversion: 255 / ((1 << frame.precision) - 1),';

/**
 * The source of Cornerstone's `codecs/jpeg.js` with frames of more than 8 bits per sample handed to
 * `inverseDct12` (imported from `modulePath`); throws if the code it patches is not there.
 */
export function patchJpegCodec(source: string, modulePath: string): string {
  for (const anchor of [QUANTIZE_AND_INVERSE, COMPONENT_PRECISION]) {
    if (source.split(anchor).length !== 2) throw new Error(`Cornerstone's JPEG codec changed: "${anchor.trim()}" is not there once; check the 12-bit patch (jpeg-12bit.ts)`);
  }
  return [
    `import { inverseDct12 as readingStationInverseDct12 } from ${JSON.stringify(modulePath)};`,
    source
      .replace(COMPONENT_PRECISION, `${COMPONENT_PRECISION} precision: frame.precision,`)
      .replace(
        QUANTIZE_AND_INVERSE,
        `${QUANTIZE_AND_INVERSE}    if (component.precision > 8) return readingStationInverseDct12(component.blockData, blockBufferOffset, component.quantizationTable, component.precision);\n`,
      ),
  ].join('\n');
}
