import type { Measurement } from '../imaging/measurements.ts';

const KIND_LABELS: Readonly<Record<Measurement['kind'], string>> = { length: 'Length', angle: 'Angle', roi: 'ROI' };

export function MeasurementList({ measurements }: { measurements: readonly Measurement[] }) {
  if (measurements.length === 0) return null;
  return (
    <section className="measurements" aria-label="Measurements">
      <h2>Measurements</h2>
      <ul>
        {measurements.map((m) => (
          <li key={m.id} data-testid="measurement" data-kind={m.kind}>
            <span className="measurement-kind">{KIND_LABELS[m.kind]}</span> <span className="measurement-value">{m.text}</span>
            {m.imageIndex !== null && <span className="muted"> · slice {m.imageIndex + 1}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
