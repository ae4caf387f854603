import { formatWindowValue, windowPresetsFor } from '../imaging/ct-presets.ts';
import { IMAGE_WINDOW_PRESETS } from '../imaging/image-windows.ts';
import type { PrimaryTool, StackViewer, StackViewerState } from '../imaging/stack-viewer.ts';
import { CineRateInput } from './CineRateInput.tsx';

const TOOLS: ReadonlyArray<{ tool: PrimaryTool; label: string; key: string }> = [
  { tool: 'windowLevel', label: 'Window/level', key: 'W' },
  { tool: 'pan', label: 'Pan', key: 'P' },
  { tool: 'zoom', label: 'Zoom', key: 'Z' },
  { tool: 'length', label: 'Length', key: 'L' },
  { tool: 'angle', label: 'Angle', key: 'A' },
  { tool: 'ellipseRoi', label: 'ROI', key: 'E' },
  { tool: 'probe', label: 'Probe', key: 'X' },
  { tool: 'calibrate', label: 'Calibrate', key: 'C' },
];

/**
 * Always on screen (disabled until the first image is up), so that the viewport below keeps its
 * size from the moment Cornerstone measures it.
 */
export function ViewerToolbar({
  viewer: maybeViewer,
  state: maybeState,
  modality,
  canCalibrate,
  onHelp,
}: {
  viewer: StackViewer | null;
  state: StackViewerState | null;
  /** The shown series' modality: Hounsfield presets are offered where they mean something (CT). */
  modality: string;
  /** Whether the drawn image may be calibrated (its spacing is not the patient's already). */
  canCalibrate: boolean;
  onHelp(): void;
}) {
  if (!maybeViewer || !maybeState?.hasImage) return <ViewerToolbarPlaceholder onHelp={onHelp} />;
  const viewer = maybeViewer;
  const state = maybeState;
  const presets = windowPresetsFor(modality);
  return (
    <div className="viewer-toolbar" role="toolbar" aria-label="Viewer tools">
      <div className="tool-group" role="group" aria-label="Mouse tool">
        {TOOLS.map(({ tool, label, key }) => {
          const unavailable = tool === 'calibrate' && !canCalibrate;
          const title = tool === 'calibrate' ? (unavailable ? 'Calibrate: this image has a pixel spacing in the patient' : `Calibrate: draw a line of known length (${key})`) : `${label} (${key})`;
          return (
            <button key={tool} type="button" aria-pressed={state.primaryTool === tool} title={title} disabled={unavailable} onClick={() => viewer.setPrimaryTool(tool)}>
              {label}
            </button>
          );
        })}
      </div>
      <div className="tool-group" role="group" aria-label="Window presets">
        {IMAGE_WINDOW_PRESETS.map(({ id, label, key }) => {
          const windowLevel = state.imageWindows?.[id] ?? null;
          const title = windowLevel
            ? `${label}: W ${formatWindowValue(windowLevel.windowWidth)} / L ${formatWindowValue(windowLevel.windowCenter)} (${key})`
            : id === 'header'
              ? "Header: this image's header gives no window"
              : `${label}: not available for this image`;
          return (
            <button key={id} type="button" title={title} disabled={!windowLevel} data-window={id} onClick={() => viewer.setImageWindow(id)}>
              {label}
            </button>
          );
        })}
        {presets.map((preset) => (
          <button key={preset.id} type="button" title={`W ${preset.windowWidth} / L ${preset.windowCenter} (${preset.key})`} onClick={() => viewer.setWindowLevel(preset)}>
            {preset.label}
          </button>
        ))}
      </div>
      <div className="tool-group" role="group" aria-label="View">
        <button type="button" title="Zoom in (+)" aria-label="Zoom in" onClick={() => viewer.zoomBy(1.25)}>
          +
        </button>
        <button type="button" title="Zoom out (−)" aria-label="Zoom out" onClick={() => viewer.zoomBy(0.8)}>
          −
        </button>
        <button type="button" aria-pressed={state.orientation.invert} title="Invert the grey scale (I)" onClick={() => viewer.toggleInvert()}>
          Invert
        </button>
        <button type="button" title="Rotate 90° clockwise (])" aria-label="Rotate 90° clockwise" onClick={() => viewer.rotateBy(90)}>
          ⟳ 90°
        </button>
        <button type="button" aria-pressed={state.orientation.flipHorizontal} title="Flip left–right (F)" aria-label="Flip left–right" onClick={() => viewer.flip('horizontal')}>
          ⇆
        </button>
        <button type="button" aria-pressed={state.orientation.flipVertical} title="Flip top–bottom (V)" aria-label="Flip top–bottom" onClick={() => viewer.flip('vertical')}>
          ⇅
        </button>
        <button type="button" title="Reset (R)" onClick={() => viewer.resetView()}>
          Reset
        </button>
      </div>
      <div className="tool-group" role="group" aria-label="Cine">
        <button type="button" aria-pressed={state.cine.playing} title="Play or stop cine (Space)" onClick={() => (state.cine.playing ? viewer.stopCine() : viewer.playCine())}>
          {state.cine.playing ? 'Stop cine' : 'Play cine'}
        </button>
        <CineRateInput framesPerSecond={state.cine.framesPerSecond} onRate={(fps) => viewer.setCineRate(fps)} />
      </div>
      <button type="button" className="secondary help-button" title="Keyboard shortcuts (?)" onClick={onHelp}>
        Shortcuts ?
      </button>
    </div>
  );
}

function ViewerToolbarPlaceholder({ onHelp }: { onHelp(): void }) {
  return (
    <div className="viewer-toolbar" role="toolbar" aria-label="Viewer tools" aria-disabled="true">
      <div className="tool-group">
        {TOOLS.map(({ tool, label }) => (
          <button key={tool} type="button" disabled>
            {label}
          </button>
        ))}
      </div>
      <button type="button" className="secondary help-button" title="Keyboard shortcuts (?)" onClick={onHelp}>
        Shortcuts ?
      </button>
    </div>
  );
}
