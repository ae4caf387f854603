import type { StackViewerState } from '../imaging/stack-viewer.ts';
import type { FrameInfo } from './frame-info.ts';
import type { StudyHeader } from './study-loader.ts';

const mm = (value: number) => `${Number(value.toFixed(2))} mm`;

/**
 * Patient, study, slice and window on the image corners; plain text, never markup. Slice number,
 * position and window describe the slice that is drawn (`renderedImageIndex`, `frame` is its
 * header); while another slice is asked for and still loading, a second line says which.
 */
export function ViewportOverlay({
  header,
  seriesDescription,
  state,
  frame,
}: {
  header: StudyHeader;
  seriesDescription: string;
  state: StackViewerState;
  frame: FrameInfo | null;
}) {
  const { voi } = state;
  const drawn = state.renderedImageIndex;
  const loading = drawn !== null && state.imageIndex !== drawn;
  return (
    <div className="viewport-overlay" aria-hidden="false">
      <div className="corner top-left" data-testid="overlay-patient">
        <div className="overlay-strong">{header.patientName}</div>
        <div>{header.patientId}</div>
        <div>
          {header.patientBirthDate} {header.patientSex}
        </div>
      </div>
      <div className="corner top-right" data-testid="overlay-study">
        <div>{header.studyDescription}</div>
        <div>{header.studyDate}</div>
        <div>{seriesDescription}</div>
      </div>
      <div className="corner bottom-left" data-testid="overlay-slice">
        <div data-testid="overlay-slice-number">{drawn === null ? 'Slice –' : `Slice ${drawn + 1}/${state.imageCount}`}</div>
        {loading && (
          <div className="overlay-loading" data-testid="overlay-loading">
            Loading slice {state.imageIndex + 1}/{state.imageCount}…
          </div>
        )}
        {frame?.sliceLocation != null && <div data-testid="overlay-location">Loc {mm(frame.sliceLocation)}</div>}
        {frame?.sliceThickness != null && <div>Thk {mm(frame.sliceThickness)}</div>}
        <div data-testid="overlay-voi">{voi ? `W ${Math.round(voi.windowWidth)} L ${Math.round(voi.windowCenter)}` : 'W – L –'}</div>
      </div>
      <div className="corner bottom-right">
        <div>Zoom {Math.round(state.zoom * 100)}%</div>
        {state.renderingMode === 'cpu' && <div title="WebGL is not available; images are drawn by the CPU.">CPU rendering</div>}
      </div>
    </div>
  );
}
