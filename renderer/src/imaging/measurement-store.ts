/**
 * The session's measurements: every record drawn since sign-in, of every study, kept across
 * series switches and across closing and reopening a study. Plain records (measurements.ts), so
 * that the same store can later be filled from and saved to the server per user and study.
 *
 * `measurementStore.clear()` forgets them all, and with them what Cornerstone draws (its
 * annotation state is global and would otherwise outlive the session): call it at sign-out.
 */
import type { MeasurementRecord } from './measurements.ts';

export interface MeasurementSnapshot {
  /** In the order they were drawn. */
  records: readonly MeasurementRecord[];
  selectedId: string | null;
}

type Listener = (snapshot: MeasurementSnapshot) => void;

export class MeasurementStore {
  #records = new Map<string, MeasurementRecord>();
  #selectedId: string | null = null;
  #snapshot: MeasurementSnapshot = { records: [], selectedId: null };
  readonly #listeners = new Set<Listener>();
  readonly #onClear = new Set<() => void>();

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

  /** Forgets every record and the selection, and tells whoever draws them (`onClear`). */
  clear(): void {
    this.#records.clear();
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

  #publish(): void {
    this.#snapshot = { records: [...this.#records.values()], selectedId: this.#selectedId };
    for (const listener of this.#listeners) listener(this.#snapshot);
  }
}

/** The one store of the app's session. */
export const measurementStore = new MeasurementStore();
