/**
 * What a signed-in user leaves in the page's memory besides React state (which unmounts with the
 * signed-in screens): Cornerstone's image cache, the image loader's metadata of every instance
 * opened, the frame-range loader's instances, the series retrievals under way, the first image's preview, the measurements drawn (Cornerstone keeps
 * annotations globally, by imageId, so the next user opening the same study would see them), loads
 * still queued, and the browser's resource timings, whose URLs name the studies read. All of it
 * is dropped when a session ends or another user signs in. Until the next sign-in no resource
 * timing is kept at all: a frame load still in flight at sign-out would otherwise add its URL.
 */
import * as dicomImageLoader from '@cornerstonejs/dicom-image-loader';
import { core, tools } from '../imaging/cornerstone.ts';
import { forgetPreviews } from '../imaging/first-image-preview.ts';
import { forgetFrameRanges } from '../imaging/frame-ranges.ts';
import { cancelFrameRetries } from '../imaging/frame-retry.ts';
import { measurementStore } from '../imaging/measurement-store.ts';
import { forgetSeriesBatches } from '../imaging/series-batch-loader.ts';

export function forgetStudyData(): void {
  for (const type of Object.values(core.Enums.RequestType)) core.imageLoadPoolManager.clearRequestStack(type);
  // A frame waiting to be asked for again would otherwise go out after the sign-out.
  cancelFrameRetries();
  // The session's measurement records (kept across studies) and what Cornerstone draws of them.
  measurementStore.clear();
  tools.annotation.state.removeAllAnnotations();
  // A load still in flight is not put back: Cornerstone drops an image purged before it arrived.
  core.cache.purgeCache();
  dicomImageLoader.wadors.metaDataManager.purge();
  forgetFrameRanges();
  forgetSeriesBatches();
  forgetPreviews();
  performance.clearResourceTimings();
  performance.setResourceTimingBufferSize(0);
}

/** The browsers' default size of the resource timing buffer. */
const RESOURCE_TIMING_BUFFER_SIZE = 250;

/** A session began: resource timings are kept again (the page's load timings use them). */
export function resumeResourceTimings(): void {
  performance.setResourceTimingBufferSize(RESOURCE_TIMING_BUFFER_SIZE);
}
