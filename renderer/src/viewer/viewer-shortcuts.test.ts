import { describe, expect, it } from 'vitest';
import { commandForKey, VIEWER_SHORTCUTS } from './viewer-shortcuts.ts';

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey', boolean>> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe('viewer shortcuts', () => {
  it('maps keys to commands and leaves modified keys to the browser', () => {
    expect(commandForKey(key('ArrowDown'))).toEqual({ type: 'scroll', delta: 1 });
    expect(commandForKey(key('L'))).toEqual({ type: 'tool', tool: 'length' });
    expect(commandForKey(key('2'))).toMatchObject({ type: 'preset', preset: { id: 'lung' } });
    expect(commandForKey(key('r', { ctrlKey: true }))).toBeNull();
    expect(commandForKey(key('q'))).toBeNull();
  });

  it('deletes the selected measurement with Delete or Backspace, but not with a modifier (the browser’s back)', () => {
    expect(commandForKey(key('Delete'))).toEqual({ type: 'delete-measurement' });
    expect(commandForKey(key('Backspace'))).toEqual({ type: 'delete-measurement' });
    expect(commandForKey(key('Backspace', { altKey: true }))).toBeNull();
    expect(commandForKey(key('m'))).toEqual({ type: 'next-measurement' });
  });

  it("has keys for every modality's Header, Auto and Full range windows, listed in the help sheet", () => {
    expect(commandForKey(key('5'))).toEqual({ type: 'image-window', window: 'header' });
    expect(commandForKey(key('6'))).toEqual({ type: 'image-window', window: 'auto' });
    expect(commandForKey(key('7'))).toEqual({ type: 'image-window', window: 'fullRange' });
    expect(VIEWER_SHORTCUTS.filter((s) => s.command.type === 'image-window').map((s) => s.label)).toEqual(['5', '6', '7']);
  });

  it('has keys for invert, rotation, flips and the probe', () => {
    expect(commandForKey(key('i'))).toEqual({ type: 'invert' });
    expect(commandForKey(key(']'))).toEqual({ type: 'rotate', degrees: 90 });
    expect(commandForKey(key('['))).toEqual({ type: 'rotate', degrees: -90 });
    expect(commandForKey(key('F'))).toEqual({ type: 'flip', direction: 'horizontal' });
    expect(commandForKey(key('v'))).toEqual({ type: 'flip', direction: 'vertical' });
    expect(commandForKey(key('x'))).toEqual({ type: 'tool', tool: 'probe' });
  });

  it('has a key for the calibration line, listed in the help sheet', () => {
    expect(commandForKey(key('c'))).toEqual({ type: 'tool', tool: 'calibrate' });
    expect(commandForKey(key('C'))).toEqual({ type: 'tool', tool: 'calibrate' });
    expect(VIEWER_SHORTCUTS.find((s) => s.command.type === 'tool' && s.command.tool === 'calibrate')?.description).toMatch(/^Calibrate: draw a line over an object of known size/);
  });

  it('gives every key one meaning', () => {
    const keys = VIEWER_SHORTCUTS.flatMap((s) => s.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
