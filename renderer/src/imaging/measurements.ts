/**
 * Measurement results in words, from the statistics Cornerstone's annotation tools cache on each
 * annotation (`data.cachedStats[targetId]`). Shapes differ per tool and are read defensively.
 */

export interface Measurement {
  id: string;
  kind: 'length' | 'angle' | 'roi';
  /** The value as shown, e.g. `42.3 mm`, `37.5°`, `area 120.4 mm² · mean 38.2 HU`. */
  text: string;
  /** Slice (0-based) the measurement was drawn on, if known. */
  imageIndex: number | null;
}

type Stats = Record<string, unknown>;

function firstStats(cachedStats: unknown): Stats | null {
  if (typeof cachedStats !== 'object' || cachedStats === null) return null;
  const first = Object.values(cachedStats)[0];
  return typeof first === 'object' && first !== null ? (first as Stats) : null;
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const str = (value: unknown, fallback: string): string => (typeof value === 'string' && value ? value : fallback);

export function summariseMeasurement(toolName: string, id: string, cachedStats: unknown, imageIndex: number | null): Measurement | null {
  const stats = firstStats(cachedStats);
  if (!stats) return null;
  switch (toolName) {
    case 'Length': {
      const length = num(stats.length);
      return length === null ? null : { id, kind: 'length', text: `${length.toFixed(1)} ${str(stats.unit, 'mm')}`, imageIndex };
    }
    case 'Angle': {
      const angle = num(stats.angle);
      return angle === null ? null : { id, kind: 'angle', text: `${angle.toFixed(1)}°`, imageIndex };
    }
    case 'EllipticalROI': {
      const area = num(stats.area);
      if (area === null) return null;
      const parts = [`area ${area.toFixed(1)} ${str(stats.areaUnit, 'mm²')}`];
      const mean = num(stats.mean);
      const stdDev = num(stats.stdDev);
      const unit = str(stats.modalityUnit, '');
      if (mean !== null) parts.push(`mean ${mean.toFixed(1)}${unit ? ` ${unit}` : ''}`);
      if (stdDev !== null) parts.push(`SD ${stdDev.toFixed(1)}`);
      return { id, kind: 'roi', text: parts.join(' · '), imageIndex };
    }
    default:
      return null;
  }
}
