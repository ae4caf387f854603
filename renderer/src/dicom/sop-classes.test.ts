import { describe, expect, it } from 'vitest';
import { nonImageKindOf, nonImageMessage } from './sop-classes.ts';

describe('non-image objects by SOP class', () => {
  it('names reports, waveforms, RT objects and documents whatever their header holds', () => {
    const label = (uid: string, pixels = false) => {
      const kind = nonImageKindOf(uid, pixels);
      return kind ? nonImageMessage(kind) : null;
    };
    expect(label('1.2.840.10008.5.1.4.1.1.88.11')).toBe('Structured report — not an image');
    expect(label('1.2.840.10008.5.1.4.1.1.88.33')).toBe('Structured report — not an image');
    expect(label('1.2.840.10008.5.1.4.1.1.88.59')).toBe('Key object selection — not an image');
    expect(label('1.2.840.10008.5.1.4.1.1.9.1.1')).toBe('ECG waveform — not an image');
    expect(label('1.2.840.10008.5.1.4.1.1.9.4.1')).toBe('Waveform — not an image');
    expect(label('1.2.840.10008.5.1.4.1.1.481.5')).toBe('RT plan — not an image');
    expect(label('1.2.840.10008.5.1.4.1.1.481.3')).toBe('RT structure set — not an image');
    expect(label('1.2.840.10008.5.1.4.1.1.104.1')).toBe('Encapsulated PDF — not an image');
    expect(label('1.2.840.10008.5.1.4.1.1.11.1', true)).toBe('Presentation state — not an image');
  });

  it('shows images, including RT dose, and explains any object without pixel data', () => {
    expect(nonImageKindOf('1.2.840.10008.5.1.4.1.1.2', true)).toBeNull();
    expect(nonImageKindOf('1.2.840.10008.5.1.4.1.1.481.2', true)).toBeNull();
    expect(nonImageKindOf('1.2.840.10008.5.1.4.1.1.66.4', true)).toBeNull();
    expect(nonImageKindOf('1.2.840.10008.5.1.4.1.1.2', false)?.label).toBe('Object without pixel data');
    expect(nonImageKindOf(null, false)?.label).toBe('Object without pixel data');
  });
});
