/**
 * The `wadors:` image loader with series batches in front (series-batches.ts): the study loader
 * registers which frames belong to a batched series, the stack viewer starts a series' batch when
 * it prefetches the series, and every load of such a frame takes it from the batch when the batch
 * brings it, or goes to the per-frame loader it wraps.
 */
import * as core from '@cornerstonejs/core';
import { createFrameImage } from './frame-ranges.ts';
import type { ImageLoad } from './frame-retry.ts';
import { MIN_BATCH_INSTANCES, SeriesBatch, type BatchedFrame } from './series-batches.ts';

interface BatchedImage {
  seriesUrl: string;
  sopInstanceUid: string;
}

const batchedImages = new Map<string, BatchedImage>();
const batches = new Map<string, SeriesBatch>();
let headersOf: () => Promise<Record<string, string>> = async () => ({});

export function setBatchRequestHeaders(source: () => Promise<Record<string, string>>): void {
  headersOf = source;
}

/** Makes a series' frames (single-frame instances) known as fetched through its series retrieval. */
export function registerBatchedSeries(seriesUrl: string, frames: ReadonlyArray<{ imageId: string; sopInstanceUid: string }>): void {
  for (const { imageId, sopInstanceUid } of frames) batchedImages.set(imageId, { seriesUrl, sopInstanceUid });
}

/**
 * Starts the series retrieval for these frames (those of one shown series not loaded yet) unless one
 * of their series is already under way, or they are too few for a batch to pay.
 */
export function startSeriesBatch(imageIds: readonly string[]): void {
  const wanted = new Map<string, Map<string, string>>();
  for (const imageId of imageIds) {
    const image = batchedImages.get(imageId);
    if (!image) continue;
    const series = wanted.get(image.seriesUrl) ?? new Map<string, string>();
    series.set(image.sopInstanceUid, imageId);
    wanted.set(image.seriesUrl, series);
  }
  for (const [url, frames] of wanted) {
    if (frames.size < MIN_BATCH_INSTANCES || batches.get(url)?.running) continue;
    const batch = new SeriesBatch({
      url,
      wanted: frames,
      headers: headersOf,
      loadedElsewhere: (imageId) => core.cache.isLoaded(imageId) || core.cache.getImageLoadObject(imageId) !== undefined,
    });
    batches.set(url, batch);
  }
}

/** Stops every series retrieval and forgets the registered series: nothing of a study stays after a sign-out. */
export function forgetSeriesBatches(): void {
  for (const batch of batches.values()) batch.cancel();
  batches.clear();
  batchedImages.clear();
}

async function batchedFrame(imageId: string): Promise<BatchedFrame | null> {
  const image = batchedImages.get(imageId);
  const batch = image && batches.get(image.seriesUrl);
  return batch ? batch.take(image.sopInstanceUid) : null;
}

/** The loader `perFrame`, taking frames of batched series from their batch first. */
export function batchedImageLoader<T, O>(perFrame: ImageLoad<T, O>): ImageLoad<T | Awaited<ReturnType<typeof createFrameImage>>, O> {
  return (imageId, options) => {
    const promise = (async () => {
      const start = performance.now();
      const frame = await batchedFrame(imageId);
      if (!frame) return perFrame(imageId, options).promise;
      return createFrameImage(imageId, frame, options as Record<string, unknown> | undefined, start);
    })();
    return { promise, cancelFn: undefined };
  };
}
