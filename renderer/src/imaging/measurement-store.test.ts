import { describe, expect, it, vi } from 'vitest';
import { MeasurementStore } from './measurement-store.ts';
import type { SeriesCalibration } from './calibration.ts';
import type { MeasurementRecord } from './measurements.ts';

const record = (id: string, study = '1.1', series = '1.1.1', length = 10): MeasurementRecord => ({
  id,
  studyInstanceUid: study,
  seriesInstanceUid: series,
  sopInstanceUid: `${series}.${id.length}`,
  frameNumber: 1,
  points: [],
  values: { kind: 'length', length, unit: 'mm' },
});

const calibration = (series: string, mmPerUnit: number): SeriesCalibration => ({
  studyInstanceUid: '1.1',
  seriesInstanceUid: series,
  rawUnit: 'px',
  mmPerUnit,
  reference: { measured: 100, knownMm: 100 * mmPerUnit },
  pixelMm: mmPerUnit,
});

describe('the session’s measurement store', () => {
  it('keeps records of every study and series in the order drawn; a moved handle replaces its record in place', () => {
    const store = new MeasurementStore();
    store.put(record('a', '1.1', '1.1.1'));
    store.put(record('b', '1.1', '1.1.2'));
    store.put(record('c', '2.2', '2.2.1'));
    store.put(record('a', '1.1', '1.1.1', 20));
    expect(store.snapshot.records.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(store.get('a')?.values).toEqual({ kind: 'length', length: 20, unit: 'mm' });
    expect(store.forStudy('1.1').map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('selects known records only, and a deleted record is no longer selected', () => {
    const store = new MeasurementStore();
    store.put(record('a'));
    store.select('nope');
    expect(store.snapshot.selectedId).toBeNull();
    store.select('a');
    expect(store.snapshot.selectedId).toBe('a');
    store.remove('a');
    expect(store.snapshot).toEqual({ records: [], selectedId: null, calibrations: [] });
  });

  it('tells subscribers of changes with a new snapshot, and only of changes', () => {
    const store = new MeasurementStore();
    const listener = vi.fn();
    const unsubscribe = store.subscribe(listener);
    store.put(record('a'));
    const first = store.snapshot;
    store.remove('missing');
    store.select(null);
    expect(listener).toHaveBeenCalledTimes(1);
    store.select('a');
    expect(listener).toHaveBeenCalledTimes(2);
    expect(store.snapshot).not.toBe(first);
    unsubscribe();
    store.remove('a');
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('keeps one calibration per series, has its records made again when it is set or removed, then publishes', () => {
    const store = new MeasurementStore();
    const remade: string[] = [];
    const published: number[] = [];
    store.onCalibration((series) => remade.push(`${series}:${store.snapshot.calibrations.length}`));
    store.subscribe((snapshot) => published.push(snapshot.calibrations.length));
    store.setCalibration(calibration('1.1.1', 0.25));
    store.setCalibration(calibration('1.1.1', 0.5));
    expect(store.calibrationOf('1.1.1')?.mmPerUnit).toBe(0.5);
    expect(store.calibrationOf('1.1.2')).toBeNull();
    store.removeCalibration('1.1.2');
    store.removeCalibration('1.1.1');
    expect(store.calibrationOf('1.1.1')).toBeNull();
    // The listeners ran before each publication (the snapshot they saw was the previous one).
    expect(remade).toEqual(['1.1.1:0', '1.1.1:1', '1.1.1:1']);
    expect(published).toEqual([1, 1, 0]);
  });

  it('clear() forgets every record, calibration and the selection and has the drawing side remove its drawings', () => {
    const store = new MeasurementStore();
    const removeDrawings = vi.fn();
    store.onClear(removeDrawings);
    store.setCalibration(calibration('1.1.1', 0.25));
    store.put(record('a'));
    store.put(record('b', '2.2', '2.2.1'));
    store.select('b');
    store.clear();
    expect(store.snapshot).toEqual({ records: [], selectedId: null, calibrations: [] });
    expect(store.calibrationOf('1.1.1')).toBeNull();
    expect(removeDrawings).toHaveBeenCalledTimes(1);
  });
});
