import { useSyncExternalStore } from 'react';
import { measurementStore, type MeasurementSnapshot } from '../imaging/measurement-store.ts';

const subscribe = (onChange: () => void) => measurementStore.subscribe(onChange);
const snapshot = () => measurementStore.snapshot;

/** The session's measurements and selection, re-rendering on every change. */
export function useMeasurements(): MeasurementSnapshot {
  return useSyncExternalStore(subscribe, snapshot);
}
