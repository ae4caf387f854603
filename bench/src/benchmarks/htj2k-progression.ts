// Benchmark: the demo's two HTJ2K encodings side by side, to decide which the stack's demo data
// should use by default. Same slices of the demo CT phantom, encoded as 1.2.840.10008.1.2.4.201
// (LRCP, one tile-part) and .202 (RPCL, TLM, a tile-part per resolution), decoded here with the
// OpenJPH WASM build Cornerstone decodes with: codestream bytes, full decode, reduced-resolution
// decode (the viewer's preview level), and for .202 the first bytes that carry the preview's
// resolutions (the tile-parts up to them, found through its markers alone).
import { HTJ2K_ENCODE_OPTIONS, HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, decodeHtj2k, demoCohort, encodeHtj2k, phantomSlice, type DemoTransferSyntax } from '@reading-station/demo-data';
import { loadAverage } from '../machine.ts';
import { median, round } from '../stats.ts';

/** The viewer's preview level (renderer first-image-preview.ts PREVIEW_DECODE_LEVEL): a quarter of each side. */
export const PREVIEW_LEVEL = 2;

export interface EncodingFigures {
  transferSyntaxUid: DemoTransferSyntax;
  /** Mean codestream size per slice. */
  bytesPerSlice: number;
  /** Medians per slice, in ms (OpenJPH WASM in Node, one thread). */
  fullDecodeMs: number;
  previewDecodeMs: number;
  /**
   * The leading bytes a client can find without decoding (tile-part boundaries) that carry every
   * resolution the preview needs, as a share of the codestream; null when the codestream has no
   * such boundary before its end (one tile-part).
   */
  previewPrefixShare: number | null;
  /** The preview decoded from that prefix alone equals the preview decoded from the whole codestream. */
  previewPrefixExact: boolean | null;
}

export interface Htj2kProgressionResult {
  slices: number;
  width: number;
  height: number;
  previewLevel: number;
  loadAverage1m: number;
  encodings: EncodingFigures[];
}

/**
 * Byte offsets where each tile-part starts (its SOT marker), and the codestream's end. A codestream
 * cut after tile-part k and closed with EOC is still a valid codestream of those tile-parts.
 */
export function tilePartStarts(codestream: Uint8Array): number[] {
  const view = new DataView(codestream.buffer, codestream.byteOffset, codestream.byteLength);
  // The main header: SOC, then marker segments (each with its length) up to the first SOT.
  let at = 2;
  while (at + 4 <= codestream.length && view.getUint16(at) !== 0xff90) at += 2 + view.getUint16(at + 2);
  const starts: number[] = [];
  while (at + 10 <= codestream.length && view.getUint16(at) === 0xff90) {
    starts.push(at);
    const length = view.getUint32(at + 6);
    if (length === 0) break; // the last tile-part runs to EOC
    at += length;
  }
  return starts;
}

/** The first `tileParts` tile-parts of a codestream, closed with EOC; null if it has no more than that. */
export function leadingTileParts(codestream: Uint8Array, tileParts: number): Uint8Array | null {
  const starts = tilePartStarts(codestream);
  const end = starts[tileParts];
  if (end === undefined) return null;
  const prefix = new Uint8Array(end + 2);
  prefix.set(codestream.subarray(0, end));
  prefix.set([0xff, 0xd9], end);
  return prefix;
}

function timed<T>(work: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = work();
  return { value, ms: performance.now() - start };
}

const equal = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((value, i) => value === b[i]);

export function runHtj2kProgression(options: { slices: number; log: (message: string) => void }): Htj2kProgressionResult {
  const series = demoCohort().studies[0]?.series[0];
  if (!series) throw new Error('the demo cohort has no series');
  const { phantom } = series;
  const count = Math.min(options.slices, series.sliceCount);
  const indices = Array.from({ length: count }, (_, i) => Math.floor((i * series.sliceCount) / count));
  const slices = indices.map((index) => phantomSlice(phantom, index));
  const loadAverage1m = loadAverage();
  const encodings: EncodingFigures[] = [];
  for (const transferSyntaxUid of [HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL] as const) {
    const codestreams = slices.map((pixels) => encodeHtj2k({ width: phantom.columns, height: phantom.rows, pixels }, HTJ2K_ENCODE_OPTIONS[transferSyntaxUid]));
    // Warm the decoder once, then interleave nothing: one encoding's slices in a row.
    decodeHtj2k(codestreams[0] as Uint8Array);
    const full = codestreams.map((codestream) => timed(() => decodeHtj2k(codestream)).ms);
    const preview = codestreams.map((codestream) => timed(() => decodeHtj2k(codestream, { decodeLevel: PREVIEW_LEVEL })));
    // A tile-part per resolution: resolutions 0 … (decompositions − level) come first.
    const decompositions = 5;
    const shares: number[] = [];
    let exact: boolean | null = null;
    codestreams.forEach((codestream, i) => {
      const prefix = leadingTileParts(codestream, decompositions - PREVIEW_LEVEL + 1);
      if (!prefix) return;
      shares.push(prefix.length / codestream.length);
      const fromPrefix = decodeHtj2k(prefix, { decodeLevel: PREVIEW_LEVEL });
      const same = equal(fromPrefix.pixels, (preview[i] as { value: { pixels: Int16Array | Uint16Array } }).value.pixels);
      exact = (exact ?? true) && same;
    });
    const figures: EncodingFigures = {
      transferSyntaxUid,
      bytesPerSlice: Math.round(codestreams.reduce((sum, codestream) => sum + codestream.length, 0) / codestreams.length),
      fullDecodeMs: round(median(full), 2),
      previewDecodeMs: round(median(preview.map((p) => p.ms)), 2),
      previewPrefixShare: shares.length === codestreams.length ? round(median(shares), 3) : null,
      previewPrefixExact: exact,
    };
    options.log(
      `htj2k ${transferSyntaxUid}: ${(figures.bytesPerSlice / 1024).toFixed(0)} KiB a slice, full decode ${figures.fullDecodeMs} ms, ` +
        `1/${2 ** PREVIEW_LEVEL} decode ${figures.previewDecodeMs} ms` +
        (figures.previewPrefixShare === null ? ', no tile-part boundary before the end' : `, preview from the first ${(figures.previewPrefixShare * 100).toFixed(1)} % (${figures.previewPrefixExact ? 'exact' : 'NOT exact'})`),
    );
    encodings.push(figures);
  }
  return { slices: count, width: phantom.columns, height: phantom.rows, previewLevel: PREVIEW_LEVEL, loadAverage1m, encodings };
}
