import { describe, expect, it } from 'vitest';
import { edgeMarkers, orientationLabel } from './orientation.ts';

describe('orientation markers', () => {
  it('an axial slice as acquired (rows towards the patient’s left, columns towards the back) reads R left, A top', () => {
    expect(edgeMarkers([1, 0, 0], [0, 1, 0])).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
  });

  it('a coronal slice reads R left and H top; a sagittal one A left and H top', () => {
    expect(edgeMarkers([1, 0, 0], [0, 0, -1])).toEqual({ left: 'R', right: 'L', top: 'H', bottom: 'F' });
    expect(edgeMarkers([0, 1, 0], [0, 0, -1])).toEqual({ left: 'A', right: 'P', top: 'H', bottom: 'F' });
  });

  it('follows the display: mirrored left–right swaps R and L', () => {
    expect(edgeMarkers([-1, 0, 0], [0, 1, 0])).toEqual({ left: 'L', right: 'R', top: 'A', bottom: 'P' });
  });

  it('names an oblique direction by its larger components first and leaves out the small ones', () => {
    expect(orientationLabel([0.8, -0.6, 0])).toBe('LA');
    expect(orientationLabel([0.2, 0.97, 0.1])).toBe('P');
    expect(orientationLabel([0, 0, 0])).toBe('');
  });
});
