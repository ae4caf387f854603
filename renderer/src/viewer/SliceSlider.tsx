import type { StackViewer, StackViewerState } from '../imaging/stack-viewer.ts';

export function SliceSlider({ viewer, state }: { viewer: StackViewer; state: StackViewerState }) {
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
