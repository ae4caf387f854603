/**
 * The patch carried for Cornerstone's dicom-image-loader (patches/, applied by `patch-package` on
 * every `npm install`/`npm ci`): its decode worker hands the decoded pixels back by transfer
 * instead of a structured-clone copy, and the main thread keeps pixels already of the right type
 * instead of copying them again. These tests run the installed files, so an upgrade that drops
 * the patch (or a `node_modules` installed without it) fails here.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { wrap, type Remote } from 'comlink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const loaderDir = createRequire(import.meta.url).resolve('@cornerstonejs/dicom-image-loader').replace(/index\.js$/, '');
const installed = (file: string): string => pathToFileURL(`${loaderDir}${file}`).href;

interface DecodedFrame {
  pixelData: Int16Array | Uint16Array | Uint8Array;
  decodeTimeInMS: number;
}
interface DecodeWorker {
  decodeTask(args: Record<string, unknown>): Promise<DecodedFrame>;
}

describe('decode worker: decoded pixels are transferred, not copied', () => {
  let workerSide: MessagePort;
  let pageSide: MessagePort;
  let worker: Remote<DecodeWorker>;
  /** What the worker posted, with its transfer list. */
  const posted: Array<{ transfer: readonly unknown[] }> = [];

  beforeAll(async () => {
    ({ port1: workerSide, port2: pageSide } = new MessageChannel());
    const post = workerSide.postMessage.bind(workerSide);
    workerSide.postMessage = (message: unknown, transfer?: readonly unknown[]) => {
      posted.push({ transfer: transfer ?? [] });
      post(message, transfer as never);
    };
    // The worker module exposes its API on `self` when it finds a worker's global scope.
    const scope = globalThis as { self?: unknown };
    scope.self = workerSide;
    try {
      await import(/* @vite-ignore */ installed('decodeImageFrameWorker.js'));
    } finally {
      delete scope.self;
    }
    worker = wrap<DecodeWorker>(pageSide as never);
  });

  afterAll(() => {
    workerSide.close();
    pageSide.close();
  });

  it('posts the decoded frame with its pixel buffer in the transfer list, values intact', async () => {
    // A 4 × 2 signed 16-bit little-endian frame: the decoder needs no WASM for it.
    const values = [-1000, -1, 0, 1, 40, 400, 3071, -32768];
    const stored = new Uint8Array(new Int16Array(values).buffer);
    posted.length = 0;
    const frame = await worker.decodeTask({
      imageFrame: { rows: 2, columns: 4, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, photometricInterpretation: 'MONOCHROME2' },
      transferSyntax: '1.2.840.10008.1.2.1',
      pixelData: stored,
      decodeConfig: {},
      options: { preScale: { enabled: false } },
    });
    expect(Array.from(frame.pixelData)).toEqual(values);
    expect(frame.pixelData).toBeInstanceOf(Int16Array);
    expect(frame.decodeTimeInMS).toBeGreaterThanOrEqual(0);
    const answer = posted.at(-1);
    expect(answer?.transfer).toHaveLength(1);
    const transferred = answer?.transfer[0] as ArrayBuffer;
    // Transferred away: the worker's copy is detached, only the page holds the pixels now.
    expect(transferred).toBeInstanceOf(ArrayBuffer);
    expect(transferred.byteLength).toBe(0);
    expect(frame.pixelData.byteLength).toBe(values.length * 2);
  });
});

describe('main thread: pixels already of their type are kept, not copied', () => {
  type SetPixelDataType = (frame: { pixelData: ArrayLike<number>; smallestPixelValue: number; largestPixelValue: number }) => void;
  let setPixelDataType: SetPixelDataType;
  beforeAll(async () => {
    ({ default: setPixelDataType } = (await import(/* @vite-ignore */ installed('imageLoader/setPixelDataType.js'))) as { default: SetPixelDataType });
  });

  it('keeps the same array when the range of values asks for its type', () => {
    const pixelData = new Int16Array([-1000, 0, 3071]);
    const frame = { pixelData, smallestPixelValue: -1000, largestPixelValue: 3071 };
    setPixelDataType(frame);
    expect(frame.pixelData).toBe(pixelData);
  });

  it('still converts pixels of another type to the one their range asks for', () => {
    const frame = { pixelData: new Float32Array([0, 7, 255]) as ArrayLike<number>, smallestPixelValue: 0, largestPixelValue: 255 };
    setPixelDataType(frame);
    expect(frame.pixelData).toBeInstanceOf(Uint8Array);
    expect(Array.from(frame.pixelData)).toEqual([0, 7, 255]);
  });
});
