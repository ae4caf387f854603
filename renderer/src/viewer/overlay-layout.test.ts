import { describe, expect, it } from 'vitest';
import { DEFAULT_OVERLAY_LAYOUT, overlayLayoutFor } from './overlay-layout.ts';

describe('overlayLayoutFor', () => {
  it('a CT shows where the slice is and how thick; a radiograph does not, but says what its millimetres are', () => {
    expect(overlayLayoutFor('CT').bottomLeft).toEqual(['slice', 'location', 'thickness', 'windowLevel']);
    expect(overlayLayoutFor('CR').bottomLeft).not.toContain('location');
    expect(overlayLayoutFor('cr').bottomRight).toContain('spacing');
  });

  it('every layout names the patient, the accession, the study, series and instance, window and zoom', () => {
    for (const modality of ['CT', 'MR', 'CR', 'DX', 'MG', 'US', 'OT', '']) {
      const layout = overlayLayoutFor(modality);
      const items = [...layout.topLeft, ...layout.topRight, ...layout.bottomLeft, ...layout.bottomRight];
      for (const item of ['patientName', 'patientId', 'birthDateSexAge', 'accession', 'studyDescription', 'series', 'instance', 'slice', 'windowLevel', 'zoom'] as const) {
        expect(items, `${modality}: ${item}`).toContain(item);
      }
    }
    expect(overlayLayoutFor('OT')).toBe(DEFAULT_OVERLAY_LAYOUT);
  });
});
