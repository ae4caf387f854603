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

  it('gives every key one meaning', () => {
    const keys = VIEWER_SHORTCUTS.flatMap((s) => s.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
