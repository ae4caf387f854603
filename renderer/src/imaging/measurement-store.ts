/**
 * The session's measurements: every record drawn since sign-in, of every study, kept across
 * series switches and across closing and reopening a study; and the user's calibrations of series
 * (calibration.ts), which decide the units of those series' records. Plain records (measurements.ts), so
 * that the same store can later be filled from and saved to the server per user and study.
 *
 * `measurementStore.clear()` forgets them all, and with them what Cornerstone draws (its
 * annotation state is global and would otherwise outlive the session): call it at sign-out.
 */
import type { SeriesCalibration } from './calibration.ts';
import type { MeasurementRecord } from './measurements.ts';

export interface MeasurementSnapshot {
  /** In the order they were drawn. */
  records: readonly MeasurementRecord[];
  selectedId: string | null;
  /** The user's calibrations, one per series at most (calibration.ts). */
  calibrations: readonly SeriesCalibration[];
}

type Listener = (snapshot: MeasurementSnapshot) => void;

export class MeasurementStore {
  #records = new Map<string, MeasurementRecord>();
  #selectedId: string | null = null;
  readonly #calibrations = new Map<string, SeriesCalibration>();
  #snapshot: MeasurementSnapshot = { records: [], selectedId: null, calibrations: [] };
  readonly #listeners = new Set<Listener>();
  readonly #onClear = new Set<() => void>();
  readonly #onCalibration = new Set<(seriesInstanceUid: string) => void>();

  /** The current records and selection; the same object until something changes. */
  get snapshot(): MeasurementSnapshot {
    return this.#snapshot;
  }

  forStudy(studyInstanceUid: string): MeasurementRecord[] {
    return this.#snapshot.records.filter((r) => r.studyInstanceUid === studyInstanceUid);
  }

  get(id: string): MeasurementRecord | null {
    return this.#records.get(id) ?? null;
  }

  /** Adds a record or replaces the one with its id (a handle moved), keeping its place. */
  put(record: MeasurementRecord): void {
    this.#records.set(record.id, record);
    this.#publish();
  }

  remove(id: string): void {
    if (!this.#records.delete(id)) return;
    if (this.#selectedId === id) this.#selectedId = null;
    this.#publish();
  }

  /** Selects a known record (or nothing); an unknown id selects nothing. */
  select(id: string | null): void {
    const next = id !== null && this.#records.has(id) ? id : null;
    if (next === this.#selectedId) return;
    this.#selectedId = next;
    this.#publish();
  }

  /** The series' calibration by the user, or null. */
  calibrationOf(seriesInstanceUid: string): SeriesCalibration | null {
    return this.#calibrations.get(seriesInstanceUid) ?? null;
  }

  /**
   * Sets (or replaces) a series' calibration; `onCalibration` listeners recompute its records
   * before the change is published.
   */
  setCalibration(calibration: SeriesCalibration): void {
    this.#calibrations.set(calibration.seriesInstanceUid, calibration);
    this.#calibrationChanged(calibration.seriesInstanceUid);
  }

  /** Removes a series' calibration: its measurements are in the header's units again. */
  removeCalibration(seriesInstanceUid: string): void {
    if (this.#calibrations.delete(seriesInstanceUid)) this.#calibrationChanged(seriesInstanceUid);
  }

  /** Runs when a series' calibration is set or removed: whoever made its records makes them again. */
  onCalibration(callback: (seriesInstanceUid: string) => void): () => void {
    this.#onCalibration.add(callback);
    return () => this.#onCalibration.delete(callback);
  }

  /** Forgets every record, calibration and the selection, and tells whoever draws them (`onClear`). */
  clear(): void {
    this.#records.clear();
    this.#calibrations.clear();
    this.#selectedId = null;
    for (const callback of this.#onClear) callback();
    this.#publish();
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs on every `clear()`: the drawing side removes what it drew. */
  onClear(callback: () => void): () => void {
    this.#onClear.add(callback);
    return () => this.#onClear.delete(callback);
  }

  #calibrationChanged(seriesInstanceUid: string): void {
    for (const callback of this.#onCalibration) callback(seriesInstanceUid);
    this.#publish();
  }

  #publish(): void {
    this.#snapshot = { records: [...this.#records.values()], selectedId: this.#selectedId, calibrations: [...this.#calibrations.values()] };
    for (const listener of this.#listeners) listener(this.#snapshot);
  }
}

/** The one store of the app's session. */
export const measurementStore = new MeasurementStore();
