import type { SeriesCalibration } from '../imaging/calibration.ts';

const value = (n: number) => Number(n.toPrecision(4));

/** Beside the measurements: the shown series is calibrated by the user, from what line, and the way back. */
export function CalibrationNote({ calibration, onRemove }: { calibration: SeriesCalibration; onRemove(): void }) {
  const { reference, rawUnit, pixelMm } = calibration;
  return (
    <section className="calibration" aria-label="Calibration" data-testid="calibration">
      <p>
        <strong>Calibrated by user:</strong> lengths and areas of this series in mm from a line of {reference.measured.toFixed(1)} {rawUnit} set to {value(reference.knownMm)} mm
        (pixel {value(pixelMm)} mm).
      </p>
      <button type="button" className="secondary" onClick={onRemove}>
        Remove calibration
      </button>
    </section>
  );
}
