import { imageIndexOf, measurementText, type MeasurementKind, type MeasurementRecord } from '../imaging/measurements.ts';

const KIND_LABELS: Readonly<Record<MeasurementKind, string>> = { length: 'Length', angle: 'Angle', roi: 'ROI', probe: 'Probe' };

export interface MeasurementSeries {
  seriesInstanceUid: string;
  /** How the series panel names it. */
  label: string;
  /** Its frames in display order, to tell each measurement's slice; empty until its metadata is in. */
  imageIds: readonly string[];
}

/**
 * The study's measurements, per series and per slice, with the same words as on the image.
 * Choosing one selects it and goes to its slice (and series); each can be deleted here, by
 * Delete/Backspace once selected, or all at once.
 */
export function MeasurementList({
  records,
  series,
  selectedId,
  onSelect,
  onDelete,
  onDeleteAll,
  calibratedSeries = new Set(),
}: {
  /** The study's records, in the order drawn. */
  records: readonly MeasurementRecord[];
  series: readonly MeasurementSeries[];
  selectedId: string | null;
  onSelect(record: MeasurementRecord): void;
  onDelete(record: MeasurementRecord): void;
  onDeleteAll(): void;
  /** Series whose mm come from the user's calibration: said under their heading. */
  calibratedSeries?: ReadonlySet<string>;
}) {
  if (records.length === 0) return null;
  const groups = series
    .map((s) => ({
      ...s,
      entries: records
        .filter((r) => r.seriesInstanceUid === s.seriesInstanceUid)
        .map((record) => ({ record, imageIndex: imageIndexOf(s.imageIds, record) }))
        .sort((a, b) => (a.imageIndex ?? Infinity) - (b.imageIndex ?? Infinity)),
    }))
    .filter((g) => g.entries.length > 0);
  return (
    <section className="measurements" aria-label="Measurements">
      <div className="measurements-heading">
        <h2>Measurements</h2>
        <button type="button" className="secondary" onClick={onDeleteAll}>
          Delete all
        </button>
      </div>
      {groups.map((group) => (
        <section key={group.seriesInstanceUid} className="measurement-series" aria-label={`Measurements of ${group.label}`} data-series-uid={group.seriesInstanceUid}>
          <h3>{group.label}</h3>
          {calibratedSeries.has(group.seriesInstanceUid) && <p className="muted calibration-note">mm calibrated by user</p>}
          <ul>
            {group.entries.map(({ record, imageIndex }) => {
              const selected = record.id === selectedId;
              const slice = imageIndex === null ? '' : ` · slice ${imageIndex + 1}`;
              return (
                <li
                  key={record.id}
                  data-testid="measurement"
                  data-kind={record.values.kind}
                  data-measurement-id={record.id}
                  data-series-uid={record.seriesInstanceUid}
                  data-selected={selected}
                  className={selected ? 'selected' : undefined}
                >
                  <button type="button" className="measurement-select" aria-pressed={selected} onClick={() => onSelect(record)}>
                    <span className="measurement-kind">{KIND_LABELS[record.values.kind]}</span> <span className="measurement-value">{measurementText(record.values)}</span>
                    <span className="muted">{slice}</span>
                  </button>
                  <button
                    type="button"
                    className="secondary measurement-delete"
                    aria-label={`Delete ${KIND_LABELS[record.values.kind]} ${measurementText(record.values)}${slice}`}
                    title="Delete (Delete or Backspace when selected)"
                    onClick={() => onDelete(record)}
                  >
                    ×
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </section>
  );
}
