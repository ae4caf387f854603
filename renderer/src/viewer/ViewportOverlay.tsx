import { Fragment, type ReactNode } from 'react';
import type { SeriesSummary } from '../api/study-api.ts';
import { edgeMarkers } from '../dicom/orientation.ts';
import type { SeriesCalibration } from '../imaging/calibration.ts';
import type { StackViewerState } from '../imaging/stack-viewer.ts';
import { windowLabel } from '../imaging/voi-lut-function.ts';
import type { FrameInfo } from './frame-info.ts';
import { overlayLayoutFor, type OverlayItem } from './overlay-layout.ts';
import type { StudyHeader } from './study-loader.ts';

const mm = (value: number) => `${Number(value.toFixed(2))} mm`;

interface OverlayProps {
  header: StudyHeader;
  series: SeriesSummary | null;
  state: StackViewerState;
  /** The header of the drawn slice (`state.renderedImageIndex`). */
  frame: FrameInfo | null;
  /** The user's calibration of the series, which replaces the header's spacing. */
  calibration?: SeriesCalibration | null;
}

/** One line of a corner, or null when the image has nothing to say for it. */
function itemLine(item: OverlayItem, { header, series, state, frame, calibration }: OverlayProps): ReactNode {
  const drawn = state.renderedImageIndex;
  switch (item) {
    case 'patientName':
      return <div className="overlay-strong">{header.patientName}</div>;
    case 'patientId':
      return header.patientId ? <div>{header.patientId}</div> : null;
    case 'birthDateSexAge': {
      const parts = [header.patientBirthDate && `DOB ${header.patientBirthDate}`, header.patientSex, header.patientAge].filter(Boolean);
      return parts.length > 0 ? <div data-testid="overlay-birth-sex-age">{parts.join(' · ')}</div> : null;
    }
    case 'accession':
      return header.accessionNumber ? <div data-testid="overlay-accession">Acc {header.accessionNumber}</div> : null;
    case 'studyDescription':
      return header.studyDescription ? <div>{header.studyDescription}</div> : null;
    case 'studyDate':
      return header.studyDate ? <div>{header.studyDate}</div> : null;
    case 'series': {
      const label = [series?.seriesNumber != null ? `Se ${series.seriesNumber}` : null, series?.description || null].filter(Boolean).join(': ');
      return label ? <div data-testid="overlay-series">{label}</div> : null;
    }
    case 'instance':
      if (frame?.instanceNumber == null) return null;
      return <div data-testid="overlay-instance">{`Im ${frame.instanceNumber}${frame.numberOfFrames > 1 ? ` · frame ${frame.frame}/${frame.numberOfFrames}` : ''}`}</div>;
    case 'slice': {
      // The drawn slice; while another is asked for and still loading, a second line says which.
      const loading = drawn !== null && state.imageIndex !== drawn;
      return (
        <>
          <div data-testid="overlay-slice-number">{drawn === null ? 'Slice –' : `Slice ${drawn + 1}/${state.imageCount}`}</div>
          {loading && (
            <div className="overlay-loading" data-testid="overlay-loading">
              Loading slice {state.imageIndex + 1}/{state.imageCount}…
            </div>
          )}
        </>
      );
    }
    case 'location':
      return frame?.sliceLocation != null ? <div data-testid="overlay-location">Loc {mm(frame.sliceLocation)}</div> : null;
    case 'thickness':
      return frame?.sliceThickness != null ? <div data-testid="overlay-thickness">Thk {mm(frame.sliceThickness)}</div> : null;
    case 'windowLevel':
      return <div data-testid="overlay-voi">{windowLabel(state.voi, state.voiLutFunction)}</div>;
    case 'zoom':
      return (
        <>
          <div>Zoom {Math.round(state.zoom * 100)}%</div>
          {state.renderingMode === 'cpu' && <div title="WebGL is not available; images are drawn by the CPU.">CPU rendering</div>}
        </>
      );
    case 'spacing':
      if (calibration && frame?.spacing.kind !== 'patient') {
        return (
          <div className="overlay-calibrated" data-testid="overlay-spacing" title="Lengths and areas from a line of known length the user drew, not from the image's header">
            Pixel {mm(calibration.pixelMm)} calibrated by user
          </div>
        );
      }
      return frame ? spacingLine(frame.spacing) : null;
  }
}

/** What a millimetre on this image is; a warning where lengths are not the patient's. */
function spacingLine(spacing: FrameInfo['spacing']): ReactNode {
  const value = spacing.rowMm === null ? '' : spacing.rowMm === spacing.columnMm ? mm(spacing.rowMm) : `${mm(spacing.rowMm)} × ${mm(spacing.columnMm ?? 0)}`;
  switch (spacing.kind) {
    case 'patient':
      return null;
    case 'calibrated':
      return <div data-testid="overlay-spacing">Pixel {value} (calibrated)</div>;
    case 'detector':
      return (
        <div className="overlay-warning" data-testid="overlay-spacing" title="ImagerPixelSpacing: lengths are at the detector, larger than in the patient by the X-ray beam's magnification">
          Pixel {value} at the detector: lengths not corrected for magnification
        </div>
      );
    case 'none':
      return (
        <div className="overlay-warning" data-testid="overlay-spacing" title="The image has neither PixelSpacing nor ImagerPixelSpacing">
          No pixel spacing: lengths in px
        </div>
      );
  }
}

function Corner({ items, props, className, testId }: { items: readonly OverlayItem[]; props: OverlayProps; className: string; testId: string }) {
  return (
    <div className={`corner ${className}`} data-testid={testId}>
      {items.map((item) => {
        const line = itemLine(item, props);
        return line === null ? null : <Fragment key={item}>{line}</Fragment>;
      })}
    </div>
  );
}

/**
 * Patient, study, slice and window on the image corners, as the modality's layout says
 * (overlay-layout.ts), and orientation markers on the four edges; plain text, never markup. Slice
 * number, position and window describe the slice that is drawn, never one still loading.
 */
export function ViewportOverlay(props: OverlayProps) {
  const layout = overlayLayoutFor(props.series?.modality ?? '');
  const axes = props.state.screenAxes;
  // Only from a real ImageOrientationPatient: without one the viewer's default axes mean nothing.
  const markers = props.frame?.orientation && axes ? edgeMarkers(axes.right, axes.down) : null;
  return (
    <div className="viewport-overlay" aria-hidden="false">
      <Corner items={layout.topLeft} props={props} className="top-left" testId="overlay-patient" />
      <Corner items={layout.topRight} props={props} className="top-right" testId="overlay-study" />
      <Corner items={layout.bottomLeft} props={props} className="bottom-left" testId="overlay-slice" />
      <Corner items={layout.bottomRight} props={props} className="bottom-right" testId="overlay-view" />
      {markers && (
        <>
          <div className="orientation-marker marker-left" data-testid="orientation-left" title="Patient direction of the left edge">
            {markers.left}
          </div>
          <div className="orientation-marker marker-right" data-testid="orientation-right" title="Patient direction of the right edge">
            {markers.right}
          </div>
          <div className="orientation-marker marker-top" data-testid="orientation-top" title="Patient direction of the top edge">
            {markers.top}
          </div>
          <div className="orientation-marker marker-bottom" data-testid="orientation-bottom" title="Patient direction of the bottom edge">
            {markers.bottom}
          </div>
        </>
      )}
    </div>
  );
}
