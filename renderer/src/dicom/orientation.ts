/**
 * Orientation markers: which way in the patient each edge of the displayed image points, in
 * DICOM's patient coordinate system (LPS: +x towards the patient's Left, +y Posterior, +z Head).
 * A direction is named by its components in order of size, each that counts (a quarter of the
 * whole or more), so an oblique edge reads e.g. `LA`.
 */
export type Vector3 = readonly [number, number, number];

export interface EdgeMarkers {
  left: string;
  right: string;
  top: string;
  bottom: string;
}

const LETTERS: ReadonlyArray<readonly [positive: string, negative: string]> = [
  ['L', 'R'],
  ['P', 'A'],
  ['H', 'F'],
];

/** The letters of a patient direction; empty for a zero or non-finite vector. */
export function orientationLabel(direction: Vector3): string {
  const length = Math.hypot(...direction);
  if (!Number.isFinite(length) || length === 0) return '';
  return direction
    .map((c, axis) => ({ axis, c: c / length }))
    .filter(({ c }) => Math.abs(c) >= 0.25)
    .sort((a, b) => Math.abs(b.c) - Math.abs(a.c))
    .map(({ axis, c }) => LETTERS[axis]?.[c > 0 ? 0 : 1] ?? '')
    .join('');
}

const negate = ([x, y, z]: Vector3): Vector3 => [-x, -y, -z];

/**
 * Markers for the four edges, from the patient directions of the screen's right (`right`) and
 * downward (`down`) axes as the image is displayed (after any rotation or flip).
 */
export function edgeMarkers(right: Vector3, down: Vector3): EdgeMarkers {
  return { left: orientationLabel(negate(right)), right: orientationLabel(right), top: orientationLabel(negate(down)), bottom: orientationLabel(down) };
}
