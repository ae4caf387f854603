import type { StackViewerState } from '../imaging/stack-viewer.ts';
import type { StudyHeader } from './study-loader.ts';

/** Patient, study, slice and window on the image corners; plain text, never markup. */
export function ViewportOverlay({ header, seriesDescription, state }: { header: StudyHeader; seriesDescription: string; state: StackViewerState }) {
  const { voi } = state;
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
        <div>
          Slice {state.imageIndex + 1}/{state.imageCount}
        </div>
        <div data-testid="overlay-voi">{voi ? `W ${Math.round(voi.windowWidth)} L ${Math.round(voi.windowCenter)}` : 'W – L –'}</div>
      </div>
      <div className="corner bottom-right">
        <div>Zoom {Math.round(state.zoom * 100)}%</div>
        {state.renderingMode === 'cpu' && <div title="WebGL is not available; images are drawn by the CPU.">CPU rendering</div>}
      </div>
    </div>
  );
}
