import type { StackViewer, StackViewerState } from '../imaging/stack-viewer.ts';

/** Always laid out (empty until a series is shown) so that the viewport keeps its size. */
export function SliceSlider({ viewer, state }: { viewer: StackViewer | null; state: StackViewerState | null }) {
  if (!viewer || !state || state.imageCount === 0) return <div className="slice-slider" aria-hidden="true" />;
  return (
    <div className="slice-slider">
      <input
        type="range"
        min={1}
        max={state.imageCount}
        value={state.imageIndex + 1}
        aria-label="Slice"
        aria-valuetext={`Slice ${state.imageIndex + 1} of ${state.imageCount}`}
        onChange={(event) => viewer.scrollTo(Number(event.target.value) - 1)}
      />
      <span className="slice-label">
        {state.imageIndex + 1} / {state.imageCount}
      </span>
    </div>
  );
}
