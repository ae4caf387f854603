/**
 * HTJ2K (JPEG 2000 Part 15) encoding and decoding in Node with OpenJPH's WASM build
 * (@cornerstonejs/codec-openjph, the codec Cornerstone3D decodes with in the viewer), plus a
 * small codestream inspector for checking what the encoder wrote.
 *
 * The WASM module is instantiated once when this module is first imported (top-level await),
 * so the functions below are synchronous. One encoder and one decoder are reused for every call;
 * calls cannot interleave because they are synchronous.
 */
import { createRequire } from 'node:module';

import { HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, type DemoTransferSyntax } from './cohort.ts';

export type ProgressionOrder = 'LRCP' | 'RLCP' | 'RPCL' | 'PCRL' | 'CPRL';
const PROGRESSION_ORDERS: readonly ProgressionOrder[] = ['LRCP', 'RLCP', 'RPCL', 'PCRL', 'CPRL'];

export interface Htj2kImage {
  readonly width: number;
  readonly height: number;
  /** One component, row by row; Int16Array for signed samples, Uint16Array for unsigned. */
  readonly pixels: Int16Array | Uint16Array;
}

export interface Htj2kEncodeOptions {
  /** Default 'RPCL' (also the codec's own default). */
  readonly progressionOrder?: ProgressionOrder;
  /** Write a TLM (tile-part lengths) marker segment in the main header. Default false. */
  readonly tlmMarker?: boolean;
  /** Start a new tile-part at each resolution level. Default false. */
  readonly tilePartPerResolution?: boolean;
  /** Wavelet decomposition levels. Default 5. */
  readonly decompositions?: number;
}

/**
 * What each demo transfer syntax gets from the encoder. Both are reversible (lossless).
 * 1.2.840.10008.1.2.4.201 (HTJ2K Lossless Only) allows any progression: LRCP, one tile-part.
 * 1.2.840.10008.1.2.4.202 (HTJ2K with RPCL Options, Lossless Only) is for progressive
 * streaming: RPCL progression, a TLM marker and a tile-part per resolution, so a client can find
 * and fetch the low resolutions first.
 */
export const HTJ2K_ENCODE_OPTIONS: Readonly<Record<DemoTransferSyntax, Htj2kEncodeOptions>> = {
  [HTJ2K_LOSSLESS]: { progressionOrder: 'LRCP', tlmMarker: false, tilePartPerResolution: false },
  [HTJ2K_LOSSLESS_RPCL]: { progressionOrder: 'RPCL', tlmMarker: true, tilePartPerResolution: true },
};

// ---------------------------------------------------------------------------------------------
// The WASM module, typed at the boundary.

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
  isUsingColorTransform: boolean;
}

interface OpenJphEncoder {
  getDecodedBuffer(frameInfo: FrameInfo): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  setQuality(lossless: boolean, quantizationStep: number): void;
  setProgressionOrder(order: number): void;
  setDecompositions(levels: number): void;
  setTLMMarker(on: boolean): void;
  setTilePartDivisionsAtResolutions(on: boolean): void;
  setTilePartDivisionsAtComponents(on: boolean): void;
}

interface OpenJphDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  decodeSubResolution(level: number): void;
  getFrameInfo(): FrameInfo;
}

interface OpenJphModule {
  HTJ2KEncoder: new () => OpenJphEncoder;
  HTJ2KDecoder: new () => OpenJphDecoder;
  getVersion(): string;
}

function isOpenJphModule(value: unknown): value is OpenJphModule {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return typeof m.HTJ2KEncoder === 'function' && typeof m.HTJ2KDecoder === 'function' && typeof m.getVersion === 'function';
}

async function loadOpenJph(): Promise<OpenJphModule> {
  const require = createRequire(import.meta.url);
  const factory: unknown = require('@cornerstonejs/codec-openjph');
  if (typeof factory !== 'function') throw new Error('@cornerstonejs/codec-openjph: unexpected export');
  const instance: unknown = await (factory as () => Promise<unknown>)();
  if (!isOpenJphModule(instance)) throw new Error('@cornerstonejs/codec-openjph: unexpected module shape');
  return instance;
}

const openjph = await loadOpenJph();
const encoder = new openjph.HTJ2KEncoder();
const decoder = new openjph.HTJ2KDecoder();

/** OpenJPH's version, e.g. "0.31.0". */
export const OPENJPH_VERSION = openjph.getVersion();

// ---------------------------------------------------------------------------------------------

/** Losslessly encodes one single-component 16-bit image; returns a fresh copy of the codestream. */
export function encodeHtj2k(image: Htj2kImage, options: Htj2kEncodeOptions = {}): Uint8Array {
  const { width, height, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`invalid image size ${width}×${height}`);
  }
  if (pixels.length !== width * height) {
    throw new RangeError(`expected ${width * height} samples, got ${pixels.length}`);
  }
  const order = PROGRESSION_ORDERS.indexOf(options.progressionOrder ?? 'RPCL');
  if (order < 0) throw new RangeError(`unknown progression order ${String(options.progressionOrder)}`);
  const target = encoder.getDecodedBuffer({
    width,
    height,
    bitsPerSample: 16,
    componentCount: 1,
    isSigned: pixels instanceof Int16Array,
    isUsingColorTransform: false,
  });
  target.set(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
  encoder.setQuality(true, 0);
  encoder.setProgressionOrder(order);
  encoder.setDecompositions(options.decompositions ?? 5);
  encoder.setTLMMarker(options.tlmMarker ?? false);
  encoder.setTilePartDivisionsAtResolutions(options.tilePartPerResolution ?? false);
  encoder.setTilePartDivisionsAtComponents(false);
  encoder.encode();
  // The view points into WASM memory, which the next call reuses: copy it out.
  return encoder.getEncodedBuffer().slice();
}

/**
 * Decodes one HTJ2K codestream (a trailing DICOM pad byte is fine). Samples of 8 bits or fewer
 * are widened to a Uint16Array; colour images are refused. With `decodeLevel` n > 0 only the
 * resolutions up to 1/2ⁿ of each side are decoded (what the viewer's preview does), and the image
 * is that size, rounded up.
 */
export function decodeHtj2k(codestream: Uint8Array, options: { decodeLevel?: number } = {}): Htj2kImage {
  const level = options.decodeLevel ?? 0;
  if (codestream.length < 4 || codestream[0] !== 0xff || codestream[1] !== 0x4f) {
    throw new Error('not a JPEG 2000 codestream (no SOC marker)');
  }
  decoder.getEncodedBuffer(codestream.length).set(codestream);
  try {
    if (level > 0) decoder.decodeSubResolution(level);
    else decoder.decode();
  } catch (error) {
    throw new Error(`HTJ2K decode failed: ${describeWasmError(error)}`, { cause: error });
  }
  const info = decoder.getFrameInfo();
  if (info.componentCount !== 1) throw new Error(`expected one component, got ${info.componentCount}`);
  const bytes = decoder.getDecodedBuffer().slice();
  const width = Math.ceil(info.width / 2 ** level);
  const height = Math.ceil(info.height / 2 ** level);
  if (info.bitsPerSample <= 8) {
    return { width, height, pixels: Uint16Array.from(bytes) };
  }
  const pixels = info.isSigned ? new Int16Array(bytes.buffer) : new Uint16Array(bytes.buffer);
  if (pixels.length !== width * height) throw new Error('HTJ2K decode: unexpected output size');
  return { width, height, pixels };
}

function describeWasmError(error: unknown): string {
  if (error instanceof Error) return error.message;
  // Emscripten reports a C++ exception as a bare pointer.
  return `native exception ${String(error)}`;
}

// ---------------------------------------------------------------------------------------------

export interface CodestreamInfo {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  readonly bitDepth: number;
  readonly signed: boolean;
  /** A CAP marker segment with the Part 15 bit: the codestream is HTJ2K. */
  readonly htj2k: boolean;
  readonly progressionOrder: ProgressionOrder;
  readonly layers: number;
  readonly decompositions: number;
  /** 5/3 reversible wavelet (lossless). */
  readonly reversible: boolean;
  readonly codeBlock: { readonly width: number; readonly height: number };
  readonly tlmMarker: boolean;
  readonly tileParts: number;
  /** Bytes after the EOC marker (0, or 1 for a DICOM pad byte). */
  readonly trailingBytes: number;
}

/** Reads the main header and walks the tile-parts of a codestream; throws if it is malformed. */
export function inspectHtj2kCodestream(codestream: Uint8Array): CodestreamInfo {
  const view = new DataView(codestream.buffer, codestream.byteOffset, codestream.byteLength);
  const u16 = (at: number): number => {
    if (at + 2 > codestream.length) throw new Error(`codestream truncated at ${at}`);
    return view.getUint16(at);
  };
  const u8 = (at: number): number => {
    const b = codestream[at];
    if (b === undefined) throw new Error(`codestream truncated at ${at}`);
    return b;
  };
  if (u16(0) !== 0xff4f) throw new Error('no SOC marker');
  let siz: { width: number; height: number; components: number; bitDepth: number; signed: boolean } | null = null;
  let cod: { order: ProgressionOrder; layers: number; levels: number; cbw: number; cbh: number; reversible: boolean } | null =
    null;
  let htj2k = false;
  let tlm = false;
  let pos = 2;
  // Main header: marker segments until the first SOT.
  for (;;) {
    const marker = u16(pos);
    if (marker === 0xff90) break;
    if ((marker & 0xff00) !== 0xff00) throw new Error(`expected a marker at ${pos}`);
    const length = u16(pos + 2);
    const body = pos + 4;
    if (marker === 0xff51) {
      const xsiz = view.getUint32(body + 2);
      const ysiz = view.getUint32(body + 6);
      const xo = view.getUint32(body + 10);
      const yo = view.getUint32(body + 14);
      const components = u16(body + 34);
      const ssiz = u8(body + 36);
      siz = { width: xsiz - xo, height: ysiz - yo, components, bitDepth: (ssiz & 0x7f) + 1, signed: (ssiz & 0x80) !== 0 };
    } else if (marker === 0xff52) {
      const orderIndex = u8(body + 1);
      const order = PROGRESSION_ORDERS[orderIndex];
      if (!order) throw new Error(`unknown progression order ${orderIndex}`);
      cod = {
        order,
        layers: u16(body + 2),
        levels: u8(body + 5),
        cbw: 1 << (u8(body + 6) + 2),
        cbh: 1 << (u8(body + 7) + 2),
        reversible: u8(body + 9) === 1,
      };
    } else if (marker === 0xff50) {
      htj2k = (view.getUint32(body) & 0x00020000) !== 0; // Pcap bit for Part 15
    } else if (marker === 0xff55) {
      tlm = true;
    }
    pos += 2 + length;
  }
  if (!siz || !cod) throw new Error('main header lacks SIZ or COD');
  // Tile-parts: each SOT says how long it is (Psot, from the SOT marker), 0 meaning "to the end".
  let tileParts = 0;
  for (;;) {
    const marker = u16(pos);
    if (marker === 0xffd9) break;
    if (marker !== 0xff90) throw new Error(`expected SOT or EOC at ${pos}`);
    const psot = view.getUint32(pos + 6);
    tileParts += 1;
    if (psot === 0) {
      pos = codestream.length - 2;
      continue;
    }
    pos += psot;
  }
  const trailingBytes = codestream.length - (pos + 2);
  return {
    width: siz.width,
    height: siz.height,
    components: siz.components,
    bitDepth: siz.bitDepth,
    signed: siz.signed,
    htj2k,
    progressionOrder: cod.order,
    layers: cod.layers,
    decompositions: cod.levels,
    reversible: cod.reversible,
    codeBlock: { width: cod.cbw, height: cod.cbh },
    tlmMarker: tlm,
    tileParts,
    trailingBytes,
  };
}
