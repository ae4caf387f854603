/**
 * The patch carried for Cornerstone's dicom-image-loader (patches/, applied by `patch-package` on
 * every `npm install`/`npm ci`): its decode worker hands the decoded pixels back by transfer
 * instead of a structured-clone copy, the main thread keeps pixels already of the right type
 * instead of copying them again, and the compressed frame goes to the worker by transfer when the
 * loader's `transferPixelData` option asks for it (upstream computes the transfer list but drops it). These tests run the installed files, so an upgrade that drops
 * the patch (or a `node_modules` installed without it) fails here.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { expose, wrap, type Remote } from 'comlink';
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

describe('main thread: a frame whose loader asks for it is transferred to the decode worker', () => {
  type DecodeImageFrame = (imageFrame: object, transferSyntax: string, pixelData: Uint8Array, canvas: undefined, options: Record<string, unknown>) => Promise<unknown>;
  let decodeImageFrame: DecodeImageFrame;
  /** What the page posted to the worker: the bytes as the worker received them, and the transfer list. */
  const received: Array<{ byteLength: number; transfer: readonly unknown[] }> = [];
  let ports: MessageChannel;

  beforeAll(async () => {
    ports = new MessageChannel();
    const { port1: pageSide, port2: workerSide } = ports;
    const post = pageSide.postMessage.bind(pageSide);
    const transfers: Array<readonly unknown[]> = [];
    pageSide.postMessage = (message: unknown, transfer?: readonly unknown[]) => {
      transfers.push(transfer ?? []);
      post(message, transfer as never);
    };
    // A stand-in decode worker: records what arrived and answers with an empty frame.
    expose(
      {
        decodeTask({ pixelData }: { pixelData: Uint8Array }) {
          received.push({ byteLength: pixelData.byteLength, transfer: transfers.at(-1) ?? [] });
          return { pixelData: new Uint8Array(0) };
        },
      },
      workerSide as never,
    );
    const core = await import('@cornerstonejs/core');
    core.getWebWorkerManager().registerWorker('dicomImageLoader', () => pageSide as never, { maxWorkerInstances: 1 });
    ({ default: decodeImageFrame } = (await import(/* @vite-ignore */ installed('imageLoader/decodeImageFrame.js'))) as { default: DecodeImageFrame });
  });

  afterAll(() => {
    ports.port1.close();
    ports.port2.close();
  });

  const frame = { rows: 1, columns: 4, samplesPerPixel: 1, bitsAllocated: 8 };
  const htj2k = '1.2.840.10008.1.2.4.201';

  it('transfers the bytes when the options say transferPixelData: the page no longer holds them', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    await decodeImageFrame(frame, htj2k, bytes, undefined, { transferPixelData: true });
    const last = received.at(-1);
    expect(last?.byteLength).toBe(4);
    expect(last?.transfer).toHaveLength(1);
    expect(bytes.byteLength).toBe(0);
  });

  it('copies them otherwise: the page keeps its bytes', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    await decodeImageFrame(frame, htj2k, bytes, undefined, {});
    expect(received.at(-1)?.transfer).toHaveLength(0);
    expect(Array.from(bytes)).toEqual([1, 2, 3, 4]);
  });
});
