import type { StackViewer, StackViewerState } from '../imaging/stack-viewer.ts';

/**
 * Always laid out (empty until a series is shown) so that the viewport keeps its size. The thumb
 * is the slice asked for; while it is still loading the label says so and names the slice drawn.
 */
export function SliceSlider({ viewer, state }: { viewer: StackViewer | null; state: StackViewerState | null }) {
  if (!viewer || !state || state.imageCount === 0) return <div className="slice-slider" aria-hidden="true" />;
  const drawn = state.renderedImageIndex;
  const loading = drawn !== null && drawn !== state.imageIndex;
  return (
    <div className="slice-slider">
      <input
        type="range"
        min={1}
        max={state.imageCount}
        value={state.imageIndex + 1}
        aria-label="Slice"
        aria-valuetext={`Slice ${state.imageIndex + 1} of ${state.imageCount}${loading ? `, loading; slice ${drawn + 1} shown` : ''}`}
        onChange={(event) => viewer.scrollTo(Number(event.target.value) - 1)}
      />
      <span className="slice-label" data-testid="slice-label">
        {state.imageIndex + 1} / {state.imageCount}
        {loading ? ` · loading (${drawn + 1} shown)` : ''}
      </span>
    </div>
  );
}
