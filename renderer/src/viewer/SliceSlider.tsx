import type { StackViewer, StackViewerState } from '../imaging/stack-viewer.ts';

/**
 * Always laid out (empty until a series is shown) so that the viewport keeps its size. The thumb
 * is the slice asked for; while it is still loading the label says so and names the slice drawn.
 */
export function SliceSlider({ viewer, state }: { viewer: StackViewer | null; state: StackViewerState | null }) {
  if (!viewer || !state || state.imageCount === 0) return <div className="slice-slider" aria-hidden="true" />;
  const drawn = state.renderedImageIndex;
  const loading = drawn !== null && drawn !== state.imageIndex;
  const failed = Object.entries(state.frameFailures).map(([index, reason]) => ({ slice: Number(index) + 1, reason }));
  const shownFailure = state.frameFailures[state.imageIndex];
  const position = (slice: number) => (state.imageCount > 1 ? ((slice - 1) / (state.imageCount - 1)) * 100 : 50);
  return (
    <div className="slice-slider">
      <div className="slice-track">
        <input
          type="range"
          min={1}
          max={state.imageCount}
          value={state.imageIndex + 1}
          aria-label="Slice"
          aria-valuetext={`Slice ${state.imageIndex + 1} of ${state.imageCount}${loading ? `, loading; slice ${drawn + 1} shown` : ''}`}
          onChange={(event) => viewer.scrollTo(Number(event.target.value) - 1)}
        />
        {failed.length > 0 && (
          // Slices that cannot be shown, marked where they sit on the slider, each with its reason.
          <ul className="slice-failures" aria-label="Slices not shown">
            {failed.map(({ slice, reason }) => (
              <li key={slice} data-testid="slice-failure-mark" style={{ left: `${position(slice)}%` }} title={`Slice ${slice} not shown — ${reason}`}>
                <span className="visually-hidden">{`Slice ${slice} not shown — ${reason}`}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      <span className="slice-label" data-testid="slice-label">
        {state.imageIndex + 1} / {state.imageCount}
        {loading ? ` · loading (${drawn + 1} shown)` : ''}
      </span>
      {(shownFailure || failed.length > 0) && (
        <span className="slice-failure" role="status" data-testid="slice-failure" data-series-uid={state.seriesInstanceUid ?? undefined}>
          {shownFailure ? `Slice ${state.imageIndex + 1} not shown — ${shownFailure}` : `${failed.length} ${failed.length === 1 ? 'slice' : 'slices'} not shown (marked on the slider)`}
        </span>
      )}
    </div>
  );
}
