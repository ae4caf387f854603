import { useEffect, useRef, useState } from 'react';
import type { ApiError } from '../api/api-error.ts';
import type { SeriesSummary } from '../api/study-api.ts';
import type { SeriesProgress } from '../imaging/series-progress.ts';
import { drawThumbnail } from '../imaging/thumbnail.ts';
import type { LoadedSeries } from './study-loader.ts';

interface Props {
  summary: SeriesSummary;
  series: LoadedSeries | null;
  error: ApiError | null;
  progress: SeriesProgress | null;
  active: boolean;
  /**
   * Whether the preview may be loaded yet: the viewer holds previews back until its own first image
   * is up (or failed), so their requests, decodes and draws do not go before it. Once true, stays so.
   */
  canLoadPreview: boolean;
  onSelect(): void;
}

/** A series in the side panel: its middle slice, what it is, and how much of it has loaded. */
export function SeriesThumbnail({ summary, series, error, progress, active, canLoadPreview, onSelect }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [thumbnailFailed, setThumbnailFailed] = useState(false);
  const [previewAllowed, setPreviewAllowed] = useState(canLoadPreview);
  if (canLoadPreview && !previewAllowed) setPreviewAllowed(true);
  const middle = series && previewAllowed && !series.nonImage ? series.imageIds[Math.floor(series.imageIds.length / 2)] : undefined;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || !middle) return;
    setThumbnailFailed(false);
    // Windowed like the main view (imaging/thumbnail.ts).
    drawThumbnail(canvas, middle).catch(() => setThumbnailFailed(true));
  }, [middle]);

  const total = progress?.total ?? series?.imageIds.length ?? summary.instanceCount ?? 0;
  const loaded = progress?.loaded ?? 0;
  const failed = progress?.failed ?? 0;
  const title = summary.description || (summary.modality ? `${summary.modality} series (untitled)` : 'Untitled series');
  const nonImage = series?.nonImage ?? null;
  const objects = series?.objectCount ?? summary.instanceCount ?? 0;
  const count = nonImage ? `${objects} ${objects === 1 ? 'object' : 'objects'}` : `${total} ${total === 1 ? 'image' : 'images'}`;
  return (
    <button
      type="button"
      className={`series-thumbnail${active ? ' active' : ''}`}
      aria-pressed={active}
      disabled={!series}
      onClick={onSelect}
      data-testid="series-thumbnail"
      data-series-uid={summary.seriesInstanceUid}
    >
      <canvas ref={canvasRef} width={128} height={128} aria-hidden="true" hidden={nonImage !== null} />
      {thumbnailFailed && <span className="thumbnail-note">No preview</span>}
      <span className="series-title">{title}</span>
      <span className="series-meta">
        {summary.modality} · #{summary.seriesNumber ?? '?'} · {count}
      </span>
      {error ? (
        <span className="series-error">{error.message}</span>
      ) : nonImage ? (
        <span className="series-note" data-testid="series-non-image">
          {nonImage.message}
        </span>
      ) : (
        <span className="series-progress" data-testid="series-progress">
          <progress max={total || 1} value={loaded} aria-label={`${title}: ${loaded} of ${total} images loaded`} />
          <span>
            {loaded}/{total}
            {failed > 0 ? ` · ${failed} failed` : ''}
            {progress?.retrying ? ` · asking again for ${progress.retrying.images} (${progress.retrying.reason})` : ''}
          </span>
        </span>
      )}
    </button>
  );
}
